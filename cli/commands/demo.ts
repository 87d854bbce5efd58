import path from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { runDemo } from '../../demo/run.js';
import { intArg } from '../options.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Record all four exchanges from the built-in simulator, replay to a sample bot at 10x, analyze, write the HTML report.')
    .option('--data <dir>', 'folder for the demo data (default: ./ticktape-demo/<time>)')
    .option('--seconds <n>', 'how long to record', intArg('--seconds'), 30)
    .option('--speed <n>', 'replay speed', intArg('--speed'), 10)
    .option('--seed <n>', 'simulator seed', intArg('--seed'), 1)
    .addHelpText(
      'after',
      `
Needs no network: the exchanges are the built-in simulator. Prints each step, then the report's path.
Examples:
  ticktape demo
  ticktape demo --seconds 10 --data /tmp/ticktape-demo`,
    )
    .action(async (o: { data?: string; seconds: number; speed: number; seed: number }) => {
      const dataDir = path.resolve(o.data ?? path.join('ticktape-demo', new Date().toISOString().replace(/[:.]/g, '-')));
      await runDemo({ dataDir, seconds: o.seconds, speed: Math.max(1, o.speed), seed: o.seed, log: createLogger('demo', process.env.TICKTAPE_LOG_LEVEL ?? 'warn') });
    });
}
