/// <reference types="node" preserve="true" />
/**
 * node:cluster's one object, in both builds. Its typings declare only a default export, which the
 * CommonJS build (no `esModuleInterop`) would read as `require('node:cluster').default`, undefined at
 * run time: the module object itself is the cluster there, and the ES module namespace's `default` is.
 *
 * @internal
 */
import type { Cluster } from 'node:cluster'
import * as nodeCluster from 'node:cluster'

export const cluster: Cluster = ((nodeCluster as unknown as { readonly default?: Cluster }).default ?? nodeCluster) as unknown as Cluster
