/** LIMS project sources. This step reads the offline catalogue; the live client and cache come later. */
export {
  readOfflineCatalogue,
  OfflineCatalogueSchema,
  CatalogueProjectSchema,
  type OfflineCatalogue,
  type CatalogueProject,
} from './offline-catalogue.js';
