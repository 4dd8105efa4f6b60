import { httpFileConnector } from "./http-file";
import { metabaseConnector } from "./metabase";
import { salesforceConnector } from "./salesforce";
import { supersetConnector } from "./superset";
import type { ConnectorKind, TConnectorKindName } from "./types";

/** Every connector kind, behind one interface: adding a system means adding one folder and one line. */
export const CONNECTOR_REGISTRY: Record<TConnectorKindName, ConnectorKind> = {
  metabase: metabaseConnector as ConnectorKind,
  superset: supersetConnector as ConnectorKind,
  salesforce: salesforceConnector as ConnectorKind,
  http: httpFileConnector as ConnectorKind,
};

export function connectorKind(kind: string): ConnectorKind {
  const found = CONNECTOR_REGISTRY[kind as TConnectorKindName];
  if (!found) throw new Error(`unknown connector kind "${kind}"`);
  return found;
}
