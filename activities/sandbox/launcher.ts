/**
 * How a local provider (bubblewrap, weak) starts a command: the request a sandbox makes for a
 * run or a transfer (command, limits, checked env, cwd, the run's cgroup), the plan the provider's
 * launcher answers with (argv, env, host cwd, extra fds), and what the run's cgroups should limit.
 */
import type { RunCgroup, RunCgroupLimits } from './cgroups';
import type { SandboxLimits } from './types';

export interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  /** Host directory the launcher starts in. */
  cwd: string;
  /** Data the launcher reads from fds 3, 4, ... (bwrap: its arguments, its seccomp filter), off its command line. */
  extraStdio?: Buffer[];
}

export interface LaunchRequest {
  command: string[];
  limits: SandboxLimits;
  /** The caller's variables, already checked. */
  env: Record<string, string>;
  /** The run's directory relative to the work dir ('' for the work dir itself). */
  cwd: string;
  cgroup: RunCgroup | null;
}

export interface Launcher {
  plan(request: LaunchRequest): LaunchPlan;
  /** What the run's cgroups limit (the launcher knows its own overhead of processes). */
  cgroupLimits(limits: SandboxLimits): RunCgroupLimits;
}
