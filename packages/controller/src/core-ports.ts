import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type CacheWriter } from '@exlab/core/cache';
import { resolveReadmeLayers, templateReadmeFields, writeReadme } from '@exlab/core/readme';
import { FILE_NAMES } from '@exlab/core/constants';
import type { Config } from '@exlab/core/schemas';
import {
  renderTemplate,
  resolveAnswers,
  resolveTemplateFor,
  templateRoots,
  writeAnswersFile,
  type TemplateManifest,
} from '@exlab/core/template';
import { checkTree } from '@exlab/core/validator';
import { resolveLimsProject, resolveNewProjectLims } from './lims-project.js';
import type { CacheWriterPort, LimsPort, ReadmeGeneratorPort, TemplateEnginePort, ValidatorPort } from './ports.js';

/** Manifests kept by {@link coreTemplateEngine}; the oldest goes first past this. */
const MANIFEST_CACHE_SIZE = 64;

/**
 * What decides a template look-up's result: the folders searched and, in each, the manifest files
 * the path names (existence, inode, size, mtime). Equal fingerprints give the same manifest.
 */
async function lookupFingerprint(config: Config, equipmentId: string, templatePath: string, type: 'project' | 'run'): Promise<string> {
  const roots = templateRoots(config, type, equipmentId);
  const paths = roots.flatMap((root) => {
    const dir = isAbsolute(templatePath) ? resolve(templatePath) : resolve(root.dir, templatePath);
    return [join(dir, FILE_NAMES.copierManifest), join(dir, FILE_NAMES.copierManifestAlt)];
  });
  const files = await Promise.all(
    paths.map((path) =>
      stat(path).then(
        (info) => `${info.ino}:${info.size}:${info.mtimeMs}`,
        () => '-',
      ),
    ),
  );
  return JSON.stringify([roots.map((root) => root.dir), files]);
}

/**
 * The template engine of `@exlab/core/template`. A resolved manifest is kept while the manifest
 * files the look-up depends on are unchanged, so a creation does not parse copier.yml again
 * (an edited, added or removed manifest is read afresh; failures are never kept).
 */
export function coreTemplateEngine(): TemplateEnginePort {
  const manifests = new Map<string, { fingerprint: string; manifest: TemplateManifest }>();
  return {
    resolve: async (config, equipmentId, templatePath, type, runKind) => {
      const key = JSON.stringify([equipmentId, templatePath, type, runKind ?? null]);
      const fingerprint = await lookupFingerprint(config, equipmentId, templatePath, type);
      const kept = manifests.get(key);
      if (kept !== undefined && kept.fingerprint === fingerprint) return kept.manifest;
      const manifest = await resolveTemplateFor(config, equipmentId, templatePath, type, runKind);
      manifests.delete(key);
      manifests.set(key, { fingerprint, manifest });
      if (manifests.size > MANIFEST_CACHE_SIZE) manifests.delete(manifests.keys().next().value as string);
      return manifest;
    },
    resolveAnswers: (manifest, provided, base) => resolveAnswers(manifest, provided, base),
    render: (manifest, destination, context) => renderTemplate(manifest, destination, context),
    writeAnswers: async (destination, manifest, answers) => {
      await writeAnswersFile(destination, manifest, answers);
    },
  };
}

/** The README generator of `@exlab/core/readme`, writing readme_fields.json through `cache`. */
export function coreReadmeGenerator(cache: CacheWriter): ReadmeGeneratorPort {
  return {
    layers: (manifest, config, values, customFields) => {
      const templateFields = templateReadmeFields(manifest);
      const layers = resolveReadmeLayers({
        templateFields,
        configFields: config.readme.defaults,
        values,
        customFields,
        template: { name: manifest.name, version: manifest.version },
      });
      const requiredIds = [...templateFields, ...config.readme.defaults].filter((field) => field.required).map((field) => field.id);
      return { layers, requiredIds };
    },
    generate: async (dir, input) => {
      await writeReadme(dir, input, cache);
    },
  };
}

/** The LIMS project look-ups: the project's creation.json, the offline catalogue, the request. */
export function coreLims(): LimsPort {
  return { projectForRun: resolveLimsProject, projectForNewProject: resolveNewProjectLims };
}

/** CacheWriter as the cache port (it already has the port's shape). */
export function coreCacheWriter(cache: CacheWriter): CacheWriterPort {
  return cache;
}

/** The §8.1 engine over a written tree (`@exlab/core/validator`'s checkTree; DECISIONS.md: the creation gate's engine). */
export function coreValidator(): ValidatorPort {
  return { checkTree };
}
