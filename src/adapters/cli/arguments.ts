/** `--name value` and `--name=value` options; a bare `--flag` is "true". Unknown names are an error. */
export function parseArguments(
  args: readonly string[],
  known: readonly string[],
): Record<string, string | undefined> {
  const options: Record<string, string | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!known.includes(name))
      throw new Error(`unknown option --${name}; known: ${known.map((k) => `--${k}`).join(' ')}`);
    if (inline !== undefined) options[name] = inline;
    else if (args[i + 1] !== undefined && !(args[i + 1] ?? '').startsWith('--')) options[name] = args[++i];
    else options[name] = 'true';
  }
  return options;
}
