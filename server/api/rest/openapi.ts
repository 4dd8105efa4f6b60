import "server-only";
import { z } from "zod";
import type { TRestRoute } from "./rest-route";

type TSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): TSchema {
  // the shape a client sends: defaults are optional to it
  const converted = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as TSchema;
  delete converted.$schema;
  return converted;
}

const ERROR_SCHEMA: TSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: {
          type: "string",
          enum: [
            "BAD_REQUEST",
            "UNAUTHORIZED",
            "FORBIDDEN",
            "NOT_FOUND",
            "METHOD_NOT_ALLOWED",
            "CONFLICT",
            "TOO_LARGE",
            "TOO_MANY_REQUESTS",
            "INTERNAL",
          ],
        },
        message: { type: "string", description: "What went wrong, in plain words" },
        fields: {
          type: "object",
          additionalProperties: { type: "string" },
          description: "A sentence per field that was wrong",
        },
      },
    },
  },
};

function parametersOf(route: TRestRoute) {
  const list: TSchema[] = [];
  for (const [where, schema] of [
    ["path", route.params],
    ["query", route.query],
  ] as const) {
    if (!schema) continue;
    const converted = jsonSchema(schema) as {
      properties?: Record<string, TSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(converted.properties ?? {})) {
      const { description, ...rest } = property;
      list.push({
        name,
        in: where,
        required: where === "path" || (converted.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return list;
}

/** The OpenAPI 3.1 document of the REST API, made from the same route table the API dispatches by. */
export function buildOpenApiDocument(routes: readonly TRestRoute[], origin: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase())}`,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.scope
        ? { security: [{ bearerToken: [] }], "x-datahaul-scope": route.scope }
        : { security: [] }),
      parameters: parametersOf(route),
      responses: {
        [route.success.status]: {
          description: route.success.description,
          content: { [route.success.contentType ?? "application/json"]: {} },
        },
        default: {
          description: "An error, in plain words",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
    if (route.body)
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: jsonSchema(route.body) } },
      };
    if (route.rawBody)
      operation.requestBody = {
        required: true,
        description: route.rawBody.description,
        content: {
          "application/octet-stream": {
            schema: { type: "string", contentMediaType: "application/octet-stream" },
          },
        },
      };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "DataHaul API",
      version: "1",
      description:
        "Tables, transforms and exports, reports and jobs. Send an API token as 'Authorization: Bearer <token>' (create one on the API page). A token's scope decides what it may do: read (see and download), run (also create, start and cancel), admin (everything). Errors are { error: { code, message } }.",
    },
    servers: [{ url: `${origin}/api/v1` }],
    paths,
    components: {
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "An API token (dh_…)" },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
