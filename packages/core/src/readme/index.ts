/** README generation (§10): the four field layers, the §10.7 front matter, README.md and readme_fields.json. */
export { templateReadmeFields, type ReadmeFieldDefinition } from './field-definitions.js';
export { resolveReadmeLayers, type ReadmeLayerInput, type ReadmeLayers } from './field-layers.js';
export {
  renderReadmeMarkdown,
  renderFrontMatter,
  frontMatterOf,
  splitFrontMatter,
  DEFAULT_README_BODY,
  README_FOOTER,
} from './readme-markdown.js';
export { writeReadme, type ReadmeInput } from './readme-writer.js';
