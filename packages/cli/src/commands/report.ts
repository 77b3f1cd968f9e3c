/**
 * utp report: prints trace.dat files exactly as `trace-cmd report` 3.1.6 does
 * (tracecmd/trace-read.c). The parts live in ../report/ (see its README).
 */
import type { Command } from '../command.js';
import { report } from '../report/run.js';

const command: Command = {
  name: 'report',
  summary: 'print a trace.dat file as trace-cmd report does',
  run: report,
};
export default command;
