/** The fenced code blocks of a README, with the `<!-- readme-test: skip — reason -->` marker before each. */
export interface ReadmeBlock {
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The reason of a `<!-- readme-test: skip — reason -->` marker on the line before the fence. */
  skip?: string;
}

const SKIP_MARKER = /^<!-- readme-test: skip — (.*\S) -->$/;

export function readmeBlocks(md: string): ReadmeBlock[] {
  const lines = md.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const marker = SKIP_MARKER.exec(lines[i - 1] ?? '');
    blocks.push({ lang: open[1]!, body: lines.slice(i + 1, end).join('\n'), line: i + 1, ...(marker ? { skip: marker[1] } : {}) });
    i = end;
  }
  return blocks;
}
