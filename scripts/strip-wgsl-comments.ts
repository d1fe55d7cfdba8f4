// Vite plugin for the library build: drops WGSL comments from `?raw` shader imports (a quarter of
// the bundle's bytes). Each comment becomes an empty line, so line numbers in compiler messages
// still match shaders/*.wgsl. The `#if` directives of src/gpu/specialize.ts are comments too, and
// are kept.
const COMMENT = /^(\s*)\/\/(?!\s*#(?:if|else|endif)\b).*$/;
const TRAILING = /\s+\/\/(?!\s*#).*$/;

import type { Plugin } from 'vite';

export function stripWgslComments(): Plugin {
  return {
    name: 'strip-wgsl-comments',
    enforce: 'post',
    transform(code: string, id: string) {
      if (!/\.wgsl\?raw$/.test(id)) return null;
      const match = /^export default (".*");?\s*$/s.exec(code);
      if (!match) return null;
      const source = JSON.parse(match[1]!) as string;
      const stripped = source.split('\n').map((line) => (COMMENT.test(line) ? '' : line.replace(TRAILING, ''))).join('\n');
      return { code: `export default ${JSON.stringify(stripped)};`, map: null };
    },
  };
}
