export { ConnectorError, SessionExpiredError, describeTransportError } from "./connector-error";
export { createConnectorHttp, type ConnectorHttp } from "./connector-http";
export { normaliseCsvFile, type TNormalisedCsv } from "./normalise-csv";
export { CONNECTOR_REGISTRY, connectorKind, isSourceKind, sourceKind } from "./registry";
export { createSessionCache, type SessionCache } from "./session-cache";
export {
  CONNECTOR_KINDS,
  type ConnectorKind,
  type TBrowseItem,
  type TBrowsePage,
  type TBrowseRequest,
  type TReportParameter,
  type TConnection,
  type TConnectorContext,
  type TConnectorKindName,
  type TFetchedReport,
  type TSeedEntry,
} from "./types";
