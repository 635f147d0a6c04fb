import { AGENCY_KINDS, AGENCY_STATUSES, AUDIENCES, CHANNELS, REGIONS, SERVICE_STATUSES } from '../records/fields.js';

// The controlled values a CPSV-AP export points at, as SKOS concept schemes of the
// registry's own. The official CPSV-AP 3.2.0 shapes check `sh:class skos:Concept` (and
// dct:Location for a service's area) on every such reference, so each concept is written
// into the document itself: an offline validator then finds its type (FIELD-NOTES).
// The values come from fields.ts; only their labels live here.

export type Labels = Readonly<{ uz: string; ru: string; en: string }>;

export interface SchemeDef {
  /** the path under baseIri: concept/<path> is the scheme, concept/<path>/<value> a concept */
  readonly path: string;
  readonly title: Labels;
  readonly values: readonly string[];
  readonly labels: Readonly<Record<string, Labels>>;
  /** an equivalent concept in the EU's authority tables, where there is one */
  readonly exactMatch?: Readonly<Record<string, string>>;
}

const EU_AUTHORITY = 'http://publications.europa.eu/resource/authority/';

export const AUDIENCE_SCHEME: SchemeDef = {
  path: 'audience',
  title: { uz: 'Xizmat oluvchilar', ru: 'Получатели услуг', en: 'Service audiences' },
  values: AUDIENCES,
  labels: {
    G2C: { uz: 'Fuqarolar (G2C)', ru: 'Граждане (G2C)', en: 'Citizens (G2C)' },
    G2B: { uz: 'Tadbirkorlik subyektlari (G2B)', ru: 'Бизнес (G2B)', en: 'Businesses (G2B)' },
    G2G: { uz: 'Davlat organlari (G2G)', ru: 'Государственные органы (G2G)', en: 'Government bodies (G2G)' },
  },
};

export const CHANNEL_TYPE_SCHEME: SchemeDef = {
  path: 'channel-type',
  title: { uz: 'Xizmat koʻrsatish kanallari turlari', ru: 'Типы каналов предоставления услуг', en: 'Channel types' },
  values: CHANNELS,
  labels: {
    portal: { uz: 'Yagona interaktiv davlat xizmatlari portali', ru: 'Единый портал интерактивных государственных услуг', en: 'Web portal' },
    mobile: { uz: 'Mobil ilova', ru: 'Мобильное приложение', en: 'Mobile application' },
    center: { uz: 'Davlat xizmatlari markazi', ru: 'Центр государственных услуг', en: 'Public service centre' },
    office: { uz: 'Idoraning oʻz binosi', ru: 'Приёмная ведомства', en: 'Agency office' },
    api: { uz: 'Idoralararo elektron hamkorlik (API)', ru: 'Межведомственное электронное взаимодействие (API)', en: 'Machine interface (API)' },
  },
};

export const SERVICE_STATUS_SCHEME: SchemeDef = {
  path: 'service-status',
  title: { uz: 'Xizmat holati', ru: 'Статус услуги', en: 'Service status' },
  values: SERVICE_STATUSES,
  labels: {
    draft: { uz: 'Loyiha', ru: 'Проект', en: 'Draft' },
    active: { uz: 'Faol', ru: 'Действует', en: 'Active' },
    suspended: { uz: 'Toʻxtatilgan', ru: 'Приостановлена', en: 'Suspended' },
    retired: { uz: 'Bekor qilingan', ru: 'Прекращена', en: 'Retired' },
  },
};

export const AGENCY_KIND_SCHEME: SchemeDef = {
  path: 'agency-kind',
  title: { uz: 'Davlat organi turi', ru: 'Вид государственного органа', en: 'Kind of state body' },
  values: AGENCY_KINDS,
  labels: {
    ministry: { uz: 'Vazirlik', ru: 'Министерство', en: 'Ministry' },
    committee: { uz: 'Qoʻmita', ru: 'Комитет', en: 'Committee' },
    agency: { uz: 'Agentlik', ru: 'Агентство', en: 'Agency' },
    inspection: { uz: 'Inspeksiya', ru: 'Инспекция', en: 'Inspection' },
    center: { uz: 'Markaz', ru: 'Центр', en: 'Centre' },
    khokimiyat: { uz: 'Hokimlik', ru: 'Хокимият', en: 'Khokimiyat' },
    other: { uz: 'Boshqa', ru: 'Другое', en: 'Other' },
  },
};

export const AGENCY_STATUS_SCHEME: SchemeDef = {
  path: 'agency-status',
  title: { uz: 'Davlat organi holati', ru: 'Статус государственного органа', en: 'Status of a state body' },
  values: AGENCY_STATUSES,
  labels: {
    active: { uz: 'Faol', ru: 'Действует', en: 'Active' },
    abolished: { uz: 'Tugatilgan', ru: 'Упразднён', en: 'Abolished' },
  },
};

export const REGION_SCHEME: SchemeDef = {
  path: 'region',
  title: { uz: 'Hududlar (ISO 3166-2:UZ)', ru: 'Регионы (ISO 3166-2:UZ)', en: 'Regions (ISO 3166-2:UZ)' },
  values: REGIONS,
  labels: {
    UZ: { uz: 'Oʻzbekiston Respublikasi', ru: 'Республика Узбекистан', en: 'Republic of Uzbekistan' },
    'UZ-AN': { uz: 'Andijon viloyati', ru: 'Андижанская область', en: 'Andijan Region' },
    'UZ-BU': { uz: 'Buxoro viloyati', ru: 'Бухарская область', en: 'Bukhara Region' },
    'UZ-FA': { uz: 'Fargʻona viloyati', ru: 'Ферганская область', en: 'Fergana Region' },
    'UZ-JI': { uz: 'Jizzax viloyati', ru: 'Джизакская область', en: 'Jizzakh Region' },
    'UZ-NG': { uz: 'Namangan viloyati', ru: 'Наманганская область', en: 'Namangan Region' },
    'UZ-NW': { uz: 'Navoiy viloyati', ru: 'Навоийская область', en: 'Navoiy Region' },
    'UZ-QA': { uz: 'Qashqadaryo viloyati', ru: 'Кашкадарьинская область', en: 'Kashkadarya Region' },
    'UZ-QR': { uz: 'Qoraqalpogʻiston Respublikasi', ru: 'Республика Каракалпакстан', en: 'Republic of Karakalpakstan' },
    'UZ-SA': { uz: 'Samarqand viloyati', ru: 'Самаркандская область', en: 'Samarkand Region' },
    'UZ-SI': { uz: 'Sirdaryo viloyati', ru: 'Сырдарьинская область', en: 'Syrdarya Region' },
    'UZ-SU': { uz: 'Surxondaryo viloyati', ru: 'Сурхандарьинская область', en: 'Surkhandarya Region' },
    'UZ-TK': { uz: 'Toshkent shahri', ru: 'город Ташкент', en: 'Tashkent City' },
    'UZ-TO': { uz: 'Toshkent viloyati', ru: 'Ташкентская область', en: 'Tashkent Region' },
    'UZ-XO': { uz: 'Xorazm viloyati', ru: 'Хорезмская область', en: 'Khorezm Region' },
  },
  exactMatch: { UZ: `${EU_AUTHORITY}country/UZB` },
};

export const CURRENCY_SCHEME: SchemeDef = {
  path: 'currency',
  title: { uz: 'Valyutalar', ru: 'Валюты', en: 'Currencies' },
  values: ['UZS'],
  labels: { UZS: { uz: 'Oʻzbek soʻmi', ru: 'Узбекский сум', en: 'Uzbekistani sum' } },
  exactMatch: { UZS: `${EU_AUTHORITY}currency/UZS` },
};

/** Every fixed scheme, in the order the document lists them. */
export const FIXED_SCHEMES: readonly SchemeDef[] = [
  AUDIENCE_SCHEME, CHANNEL_TYPE_SCHEME, SERVICE_STATUS_SCHEME, AGENCY_KIND_SCHEME, AGENCY_STATUS_SCHEME, REGION_SCHEME,
  CURRENCY_SCHEME,
];

/** Sectors are free text: their scheme's concepts are made from the values met. */
export const SECTOR_SCHEME_TITLE: Labels = { uz: 'Sohalar', ru: 'Отрасли', en: 'Sectors' };

/** Where no description is stored: the wording of a fee. */
export function feeDescription(fee: { uzs: string | null; bhmPercent: string | null }): Labels | null {
  if (fee.uzs !== null) {
    if (fee.uzs === '0') return { uz: 'Bepul', ru: 'Бесплатно', en: 'Free of charge' };
    return { uz: `${fee.uzs} soʻm`, ru: `${fee.uzs} сум`, en: `${fee.uzs} UZS` };
  }
  if (fee.bhmPercent !== null) {
    const p = fee.bhmPercent;
    return {
      uz: `Bazaviy hisoblash miqdorining ${p} foizi`,
      ru: `${p} % базовой расчётной величины`,
      en: `${p}% of the base calculation amount (BHM)`,
    };
  }
  return null;
}
