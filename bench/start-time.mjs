// Shared by the start-time benches (bench/cli-start, bench/local): runs commands side by side with
// a bare `node -e 0` and reports wall medians, minimums, ratios and, optionally, instruction counts.
//
// Both sides run with the variables that change the work every Node start does removed:
//   NODE_EXTRA_CA_CERTS  loads a whole CA bundle at start (60–80 ms on the project's machines,
//                        which users' machines do not pay); it inflated the baseline and hid Berth's cost
//   NODE_OPTIONS         may add --require/--import, flags or inspector work to every start
//   NODE_DEBUG           debug logging inside Node's own modules
//   NODE_V8_COVERAGE     makes V8 collect coverage and write it at exit
//   NODE_COMPILE_CACHE   turns Node's compile cache on (Node ≥ 22.1), changing compile cost
import { spawnSync } from 'node:child_process';

export const SCRUBBED_VARIABLES = [
  'NODE_EXTRA_CA_CERTS',
  'NODE_OPTIONS',
  'NODE_DEBUG',
  'NODE_V8_COVERAGE',
  'NODE_COMPILE_CACHE',
];

/** `process.env` (plus `extra`) without the variables above. */
export function scrubbedEnvironment(extra = {}) {
  const environment = { ...process.env, ...extra };
  for (const name of SCRUBBED_VARIABLES) delete environment[name];
  return environment;
}

export const median = (numbers) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** One run of `node <args>`, wall ms; a non-zero exit throws with its stderr. */
export function timeNode(args, { cwd, env }) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

/** Instructions executed by `node <args>` under `valgrind --tool=callgrind`; undefined without valgrind. */
export function instructions(args, { cwd, env }) {
  const result = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...args],
    { cwd, env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (result.error) return undefined;
  const match = /Collected : (\d+)/.exec(result.stderr);
  return match ? Number(match[1]) : undefined;
}

/**
 * Measures `cases` ([{label, args, budget?}], the first being the baseline) interleaved:
 * `warmup` rounds discarded, then `runs` rounds of every case in turn, so load from other work
 * hits all cases alike. With `callgrind`, also the minimum instruction count of that many runs.
 * Returns rows with median/min ms, the ratio of medians (and of minimums) to the baseline.
 */
export function measure(cases, { runs = 21, warmup = 3, callgrind = 0, cwd, env = scrubbedEnvironment() }) {
  const options = { cwd, env };
  for (let i = 0; i < warmup; i++) for (const item of cases) timeNode(item.args, options);
  const samples = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [index, item] of cases.entries()) samples[index].push(timeNode(item.args, options));
  }
  const counts = cases.map((item) => {
    let best;
    for (let i = 0; i < callgrind; i++) {
      const count = instructions(item.args, options);
      if (count !== undefined && (best === undefined || count < best)) best = count;
    }
    return best;
  });
  const base = { median: median(samples[0]), min: Math.min(...samples[0]), instructions: counts[0] };
  return cases.map((item, index) => {
    const row = {
      label: item.label,
      budget: item.budget,
      median: median(samples[index]),
      min: Math.min(...samples[index]),
      instructions: counts[index],
    };
    row.ratio = row.median / base.median;
    row.minRatio = row.min / base.min;
    if (row.instructions !== undefined && base.instructions !== undefined) {
      row.instructionRatio = row.instructions / base.instructions;
    }
    return row;
  });
}

/** Prints the rows as a table; returns true when a budget (checked on the median ratio) is exceeded. */
export function report(rows, { title }) {
  const load = (() => {
    try {
      return spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ');
    } catch {
      return 'unknown';
    }
  })();
  console.log(`${title}; node ${process.version}; load average ${load}; unset: ${SCRUBBED_VARIABLES.join(', ')}`);
  console.log('case                            median ms  min ms  ratio  min ratio  instr (M)  instr ratio  budget');
  let over = false;
  for (const row of rows) {
    const verdict = row.budget === undefined ? '' : `≤ ${row.budget}× ${row.ratio <= row.budget ? 'ok' : 'OVER'}`;
    if (row.budget !== undefined && row.ratio > row.budget) over = true;
    console.log(
      [
        row.label.padEnd(31),
        row.median.toFixed(1).padStart(9),
        row.min.toFixed(1).padStart(7),
        `${row.ratio.toFixed(2)}×`.padStart(6),
        `${row.minRatio.toFixed(2)}×`.padStart(10),
        (row.instructions === undefined ? '—' : (row.instructions / 1e6).toFixed(1)).padStart(10),
        (row.instructionRatio === undefined ? '—' : `${row.instructionRatio.toFixed(2)}×`).padStart(12),
        ` ${verdict}`,
      ].join(' '),
    );
  }
  return over;
}
