/**
 * The seccomp filter of bubblewrap sandboxes (`bwrap --seccomp FD`): a classic-BPF program, made
 * here so that no libseccomp is needed, that takes user namespaces away from sandboxed code.
 *
 * - `unshare` and `clone` with CLONE_NEWUSER in their flags fail with EPERM (a user namespace
 *   would give the code uid 0 and every capability over a fresh set of namespaces: the kernel's
 *   largest attack surface for an unprivileged process);
 * - `clone3` fails with ENOSYS: its flags are in memory, out of a filter's reach, and libc falls
 *   back to `clone` on ENOSYS (glibc ≥ 2.34 does, for threads, fork and posix_spawn);
 * - `setns` fails with EPERM: without capabilities (setpriv drops them all) it can only ever
 *   succeed into a user namespace whose owner is the sandbox uid, e.g. one that a host process of
 *   a shared `uid` made and passed over a socket;
 * - everything else is allowed.
 *
 * The rules hold for every ABI a process of this machine can call the kernel with: x86_64, x32
 * (the same numbers with bit 30 set) and i386 (`int 0x80` works from a 64-bit process too), or
 * aarch64 and arm; a call made under another architecture kills the process.
 */
import { endianness } from 'node:os';

/** <linux/audit.h> */
const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
} as const;

const X32_SYSCALL_BIT = 0x40000000;
const CLONE_NEWUSER = 0x10000000;
const EPERM = 1;
const ENOSYS = 38;

/** <linux/seccomp.h> return values. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  ALLOW: 0x7fff0000,
} as const;

/** System call numbers per ABI. */
interface SyscallTable {
  arch: number;
  unshare: number;
  clone: number;
  clone3: number;
  setns: number;
  /** x86_64: x32 calls are the same numbers with X32_SYSCALL_BIT set; filtered alike. */
  maskX32?: boolean;
}

export const SYSCALLS: Record<'x86_64' | 'i386' | 'aarch64' | 'arm', SyscallTable> = {
  x86_64: { arch: AUDIT_ARCH.X86_64, unshare: 272, clone: 56, clone3: 435, setns: 308, maskX32: true },
  i386: { arch: AUDIT_ARCH.I386, unshare: 310, clone: 120, clone3: 435, setns: 346 },
  aarch64: { arch: AUDIT_ARCH.AARCH64, unshare: 97, clone: 220, clone3: 435, setns: 268 },
  arm: { arch: AUDIT_ARCH.ARM, unshare: 337, clone: 120, clone3: 435, setns: 375 },
};

/** The ABIs a process on this machine can use, or null where no filter is made (another CPU). */
export function hostAbis(arch: string = process.arch): SyscallTable[] | null {
  if (endianness() !== 'LE') return null;
  if (arch === 'x64') return [SYSCALLS.x86_64, SYSCALLS.i386];
  if (arch === 'arm64') return [SYSCALLS.aarch64, SYSCALLS.arm];
  return null;
}

/** One classic-BPF instruction (struct sock_filter). */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// <linux/bpf_common.h>
const LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JSET_K = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const RET_K = 0x06; // BPF_RET | BPF_K

/** struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** The low 32 bits of args[0] (little-endian); clone and unshare only look at those for flags. */
const OFFSET_ARG0_LOW = 16;

type Jump = string;
type Step =
  | { label: string }
  | { code: number; k: number; jt?: Jump; jf?: Jump };

/** Resolves labels into relative jumps (each at most 255 instructions ahead). */
function assemble(steps: Step[]): BpfInstruction[] {
  const at = new Map<string, number>();
  let n = 0;
  for (const step of steps) {
    if ('label' in step) at.set(step.label, n);
    else n++;
  }
  const out: BpfInstruction[] = [];
  const offset = (label: Jump | undefined, from: number): number => {
    if (label === undefined) return 0;
    const target = at.get(label);
    if (target === undefined) throw new Error(`seccomp: no label ${label}`);
    const delta = target - from - 1;
    if (delta < 0 || delta > 255) throw new Error(`seccomp: jump to ${label} out of range`);
    return delta;
  };
  for (const step of steps) {
    if ('label' in step) continue;
    out.push({ code: step.code, k: step.k >>> 0, jt: offset(step.jt, out.length), jf: offset(step.jf, out.length) });
  }
  return out;
}

/** The filter as instructions, for the given ABIs (default: this machine's). */
export function userNamespaceFilter(abis: SyscallTable[]): BpfInstruction[] {
  const steps: Step[] = [{ code: LD_W_ABS, k: OFFSET_ARCH }];
  abis.forEach((abi, i) => steps.push({ code: JEQ_K, k: abi.arch, jt: `abi${i}` }));
  steps.push({ code: RET_K, k: SECCOMP_RET.KILL_PROCESS });
  abis.forEach((abi, i) => {
    steps.push({ label: `abi${i}` }, { code: LD_W_ABS, k: OFFSET_NR });
    if (abi.maskX32) steps.push({ code: AND_K, k: ~X32_SYSCALL_BIT });
    steps.push(
      { code: JEQ_K, k: abi.unshare, jt: 'flags' },
      { code: JEQ_K, k: abi.clone, jt: 'flags' },
      { code: JEQ_K, k: abi.clone3, jt: 'enosys' },
      { code: JEQ_K, k: abi.setns, jt: 'eperm' },
      { code: RET_K, k: SECCOMP_RET.ALLOW },
    );
  });
  steps.push(
    { label: 'flags' },
    { code: LD_W_ABS, k: OFFSET_ARG0_LOW },
    { code: JSET_K, k: CLONE_NEWUSER, jt: 'eperm' },
    { code: RET_K, k: SECCOMP_RET.ALLOW },
    { label: 'eperm' },
    { code: RET_K, k: SECCOMP_RET.ERRNO | EPERM },
    { label: 'enosys' },
    { code: RET_K, k: SECCOMP_RET.ERRNO | ENOSYS },
  );
  return assemble(steps);
}

/** The program as bwrap reads it from its fd: struct sock_filter[] in the machine's byte order. */
export function encodeFilter(program: BpfInstruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(ins.jt, i * 8 + 2);
    buf.writeUInt8(ins.jf, i * 8 + 3);
    buf.writeUInt32LE(ins.k, i * 8 + 4);
  });
  return buf;
}

/** This machine's filter, encoded for `bwrap --seccomp FD`; null on a CPU it does not know. */
export function sandboxSeccompProgram(arch: string = process.arch): Buffer | null {
  const abis = hostAbis(arch);
  return abis ? encodeFilter(userNamespaceFilter(abis)) : null;
}

/**
 * Runs a program over one system call, as the kernel would (the subset of classic BPF used
 * above): for tests, and for reading the filter.
 */
export function evaluateFilter(program: BpfInstruction[], call: { arch: number; nr: number; args?: number[] }): number {
  const word = (offset: number): number => {
    if (offset === OFFSET_NR) return call.nr >>> 0;
    if (offset === OFFSET_ARCH) return call.arch >>> 0;
    if (offset === OFFSET_ARG0_LOW) return (call.args?.[0] ?? 0) >>> 0;
    throw new Error(`seccomp: unexpected load at ${offset}`);
  };
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    switch (ins.code) {
      case LD_W_ABS:
        acc = word(ins.k);
        break;
      case AND_K:
        acc = (acc & ins.k) >>> 0;
        break;
      case JEQ_K:
        pc += acc === ins.k ? ins.jt : ins.jf;
        break;
      case JSET_K:
        pc += (acc & ins.k) !== 0 ? ins.jt : ins.jf;
        break;
      case RET_K:
        return ins.k;
      default:
        throw new Error(`seccomp: unexpected instruction ${ins.code}`);
    }
  }
  throw new Error('seccomp: program fell off its end');
}
