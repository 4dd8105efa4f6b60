import { googleSheetsConnector } from "./google-sheets";
import { httpFileConnector } from "./http-file";
import { lookerConnector } from "./looker";
import { metabaseConnector } from "./metabase";
import { powerBiConnector } from "./powerbi";
import { salesforceConnector } from "./salesforce";
import { supersetConnector } from "./superset";
import { CHAT_CHANNEL_KINDS, FILE_DESTINATION_KINDS } from "@/server/deliveries/connector-kinds";
import { ConnectorError } from "./connector-error";
import type { ConnectorKind, ConnectorKindBase, TConnectorKindName } from "./types";

/** Every connector kind, behind one interface: adding a system means adding one folder and one line. */
export const CONNECTOR_REGISTRY: Record<TConnectorKindName, ConnectorKindBase> = {
  metabase: metabaseConnector as ConnectorKindBase,
  superset: supersetConnector as ConnectorKindBase,
  salesforce: salesforceConnector as ConnectorKindBase,
  http: httpFileConnector as ConnectorKindBase,
  looker: lookerConnector as ConnectorKindBase,
  powerbi: powerBiConnector as ConnectorKindBase,
  "google-sheets": googleSheetsConnector as ConnectorKindBase,
  ...FILE_DESTINATION_KINDS,
  ...CHAT_CHANNEL_KINDS,
};

export function connectorKind(kind: string): ConnectorKindBase {
  const found = CONNECTOR_REGISTRY[kind as TConnectorKindName];
  if (!found) throw new Error(`unknown connector kind "${kind}"`);
  return found;
}

export function isSourceKind(kind: ConnectorKindBase): kind is ConnectorKind {
  return "fetchReport" in kind;
}

/** A kind that reads reports; a destination-only kind is a plain error. */
export function sourceKind(kind: string): ConnectorKind {
  const found = connectorKind(kind);
  if (!isSourceKind(found)) {
    throw new ConnectorError(
      `a ${found.label} connector is a destination: it receives data and has no reports to fetch`,
    );
  }
  return found;
}
