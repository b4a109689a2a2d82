import { describe, expect, it } from 'vitest';
import { compileGlob } from '@exlab/core/template';

/** The paths among `paths` that `pattern` matches. */
const matched = (pattern: string, paths: string[]): string[] => paths.filter(compileGlob(pattern));

describe('compileGlob', () => {
  it('matches a name without a slash at any depth, and everything below it', () => {
    expect(matched('__pycache__', ['__pycache__', 'a/__pycache__', 'a/__pycache__/x.pyc', '__pycache__x', 'x__pycache__'])).toEqual([
      '__pycache__',
      'a/__pycache__',
      'a/__pycache__/x.pyc',
    ]);
  });

  it('lets * match within one segment only', () => {
    expect(matched('*.bak', ['a.bak', 'dir/a.bak', 'a.bak.txt', 'a.bakx'])).toEqual(['a.bak', 'dir/a.bak']);
    expect(matched('raw/*.tif', ['raw/a.tif', 'raw/sub/a.tif', 'x/raw/a.tif'])).toEqual(['raw/a.tif']);
  });

  it('lets ? match exactly one character that is not a slash', () => {
    expect(matched('img?.tif', ['img1.tif', 'img12.tif', 'img.tif', 'img/.tif'])).toEqual(['img1.tif']);
  });

  it('matches a character class such as Copier default *.py[co]', () => {
    expect(matched('*.py[co]', ['a.pyc', 'b/a.pyo', 'a.py', 'a.pyx', 'a.py[co]'])).toEqual(['a.pyc', 'b/a.pyo']);
  });

  it('negates a character class written [!...]', () => {
    expect(matched('run[!0-9].txt', ['runa.txt', 'run1.txt', 'run/.txt'])).toEqual(['runa.txt']);
  });

  it('treats an unclosed [ literally', () => {
    expect(matched('a[b', ['a[b', 'ab'])).toEqual(['a[b']);
  });

  it('lets **/ span zero or more whole folders', () => {
    const paths = ['docs/x.md', 'docs/a/x.md', 'docs/a/b/x.md', 'docs/ax.md', 'other/x.md'];
    expect(matched('docs/**/x.md', paths)).toEqual(['docs/x.md', 'docs/a/x.md', 'docs/a/b/x.md']);
  });

  it('lets a leading **/ match at the top too', () => {
    expect(matched('**/x.md', ['x.md', 'a/x.md', 'a/bx.md'])).toEqual(['x.md', 'a/x.md']);
  });

  it('lets a trailing /** match everything inside a folder', () => {
    expect(matched('drafts/**', ['drafts/a', 'drafts/b/c', 'drafts', 'draftsx/a'])).toEqual(['drafts/a', 'drafts/b/c']);
  });

  it('anchors a pattern with a leading slash to the template root', () => {
    expect(matched('/notes.md', ['notes.md', 'sub/notes.md'])).toEqual(['notes.md']);
  });

  it('anchors a pattern containing a slash to the template root', () => {
    expect(matched('notes/user_notes.md', ['notes/user_notes.md', 'x/notes/user_notes.md'])).toEqual(['notes/user_notes.md']);
  });

  it('ignores a trailing slash and matches the folder and its contents', () => {
    expect(matched('drafts/', ['drafts', 'drafts/plan.txt', 'a/drafts/x'])).toEqual(['drafts', 'drafts/plan.txt', 'a/drafts/x']);
  });

  it('treats regex characters in a pattern literally', () => {
    expect(matched('a+b(1).txt', ['a+b(1).txt', 'aab1.txt'])).toEqual(['a+b(1).txt']);
    expect(matched('.git', ['.git', 'xgit', '.gitignore'])).toEqual(['.git']);
  });

  it('matches names starting with ~ for the ~* default', () => {
    expect(matched('~*', ['~backup.txt', 'raw/~lock', 'a~b'])).toEqual(['~backup.txt', 'raw/~lock']);
  });
});
