// Kubernetes command/args → RouterOS entrypoint/cmd. Kubernetes: `command` replaces
// the image ENTRYPOINT, `args` replace the image CMD, and a `command` without
// `args` drops the image CMD — as Docker does when the entrypoint is set, which is
// the rule RouterOS follows for `entrypoint`. RouterOS takes each as one string it
// splits like a shell, so every word is quoted when it needs to be.
export interface EntryCmd {
  entrypoint?: string;
  cmd?: string;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting of one word. */
export function quoteWord(w: string): string {
  if (SAFE_WORD.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}

export const joinWords = (words: string[]) => words.map(quoteWord).join(' ');

export function entryCmd(command: string[] | undefined, args: string[] | undefined): EntryCmd {
  return {
    ...(command?.length ? { entrypoint: joinWords(command) } : {}),
    ...(args?.length ? { cmd: joinWords(args) } : {}),
  };
}
