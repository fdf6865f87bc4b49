/**
 * The small part of Superset's frontend API that the plugins use. The real
 * modules come from window at run time (see scripts/shared-modules.mjs), so
 * only their types are needed here; declaring them locally avoids pulling
 * @superset-ui/core and its dependency tree from npm.
 */
declare module '@superset-ui/core' {
  export type QueryFormData = {
    datasource: string;
    viz_type: string;
    [key: string]: unknown;
  };

  export interface QueryObjectFilterClause {
    col: string;
    op: string;
    val?: unknown;
  }

  export interface AdhocMetricSimple {
    expressionType: 'SIMPLE';
    column: { column_name: string };
    aggregate: 'SUM' | 'COUNT' | 'MIN' | 'MAX' | 'AVG' | 'COUNT_DISTINCT';
    label: string;
    hasCustomLabel?: boolean;
    optionName?: string;
  }

  export interface QueryObject {
    columns?: unknown[];
    metrics?: unknown[];
    filters?: QueryObjectFilterClause[];
    orderby?: unknown[];
    row_limit?: number;
    [key: string]: unknown;
  }

  export interface QueryContext {
    queries: QueryObject[];
    [key: string]: unknown;
  }

  export function buildQueryContext(
    formData: QueryFormData,
    buildQuery: (baseQueryObject: QueryObject) => QueryObject[],
  ): QueryContext;

  export interface ChartMetadataConfig {
    name: string;
    thumbnail: string;
    description?: string;
    category?: string | null;
    tags?: string[];
    credits?: string[];
    useLegacyApi?: boolean;
  }

  export class ChartMetadata {
    constructor(config: ChartMetadataConfig);
  }

  export interface ChartPropsLike {
    width: number;
    height: number;
    formData?: Record<string, unknown>;
    rawFormData?: Record<string, unknown>;
    queriesData?: {
      data?: Record<string, unknown>[];
      colnames?: string[];
      /** Bounds of the time range Superset applied, null without one. */
      from_dttm?: number | string | null;
      to_dttm?: number | string | null;
    }[];
  }

  export interface ChartPluginConfig {
    metadata: ChartMetadata;
    buildQuery?: (formData: QueryFormData) => QueryContext;
    transformProps?: (chartProps: ChartPropsLike) => unknown;
    controlPanel?: unknown;
    Chart?: unknown;
  }

  export class ChartPlugin {
    constructor(config: ChartPluginConfig);
    configure(config: { key: string }): this;
    register(): this;
  }
}
