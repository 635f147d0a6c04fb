#!/usr/bin/env node
import { main } from '../dist/commands/program.js';

process.exitCode = await main(process.argv, { signals: true });
