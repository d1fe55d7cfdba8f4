// A minimal preprocessor for the kernel sources: `// #if NAME`, `// #else` and `// #endif` lines
// keep or drop the lines between them. WGSL overrides would be the natural tool, but SwiftShader
// keeps code behind a false override in the compiled kernel and runs it measurably slower, so
// features a call does not use are removed from the text; the pipeline key names every flag.
import { DropoutGPUError } from '../errors.js';

const DIRECTIVE = /^\s*\/\/\s*#(if|else|endif)\b\s*(\w*)/;

export function specialize(source: string, flags: Readonly<Record<string, boolean>>, name = 'shader'): string {
  const out: string[] = [];
  const stack: { keep: boolean }[] = [];
  const keeping = (): boolean => stack.every((frame) => frame.keep);
  source.split('\n').forEach((line, index) => {
    const m = DIRECTIVE.exec(line);
    if (!m) {
      if (keeping()) out.push(line);
      return;
    }
    const [, directive, flag] = m;
    if (directive === 'if') {
      if (!flag || !(flag in flags)) throw new DropoutGPUError('GPU_VALIDATION', name, `line ${index + 1}: unknown #if flag "${flag}"`);
      stack.push({ keep: flags[flag]! });
    } else if (directive === 'else') {
      const top = stack.at(-1);
      if (!top) throw new DropoutGPUError('GPU_VALIDATION', name, `line ${index + 1}: #else without #if`);
      top.keep = !top.keep;
    } else if (!stack.pop()) {
      throw new DropoutGPUError('GPU_VALIDATION', name, `line ${index + 1}: #endif without #if`);
    }
    out.push(''); // keep line numbers stable for compiler messages
  });
  if (stack.length) throw new DropoutGPUError('GPU_VALIDATION', name, 'unterminated #if');
  return out.join('\n');
}
