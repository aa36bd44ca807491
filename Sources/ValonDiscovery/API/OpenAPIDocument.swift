import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3 document of the DDNS API (docs/ARCHITECTURE.md §3). The document's
/// home is `docs/openapi.json`; this is the same text, byte for byte, compiled in so that
/// the daemon needs no resource files (a test compares the two and validates it with
/// openapi-spec-validator; schemathesis checks the live node against it).
enum OpenAPIDocument {
    static var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static let text = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "VALON DDNS API",
    "version": "1.0.0",
    "description": "The discovery node's HTTP API (docs/ARCHITECTURE.md §3, §7). A peer reports its LAN endpoint through its WireGuard tunnel; the caller is identified by the connection's source address alone, which must be the registered `wg_ip` of the key in the body. Refusals change nothing and answer `{\"success\": false, \"message\": ...}`. Checks run in this order: rate limit (429), body size (413), JSON (400), etcd (503), key (404), caller and alias (403), endpoint (422)."
  },
  "servers": [
    {
      "url": "http://100.100.0.1:8053",
      "description": "The default `ddns_listen`."
    }
  ],
  "paths": {
    "/api/endpoint": {
      "post": {
        "operationId": "setLANEndpoint",
        "summary": "Set (or, with an offline marker, clear) the caller's LAN endpoint.",
        "description": "Written only when it changes (compare-and-swap). The original client's offline markers, `\"lan_endpoint\": \"\"` (no LAN address found) and `\"0.0.0.0:0\"` (offline), clear the LAN endpoint like `DELETE /api/endpoint/delete`, after the same checks.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/EndpointUpdate"
              },
              "examples": {
                "report": {
                  "value": {
                    "pubkey": "kHxXR2oB0m4WcJ8rz0Ac6sVSo8Tf1pzTfPxc2GmJpUw=",
                    "lan_endpoint": "192.168.1.50:51820",
                    "alias": "client01"
                  }
                },
                "offline": {
                  "value": {
                    "pubkey": "kHxXR2oB0m4WcJ8rz0Ac6sVSo8Tf1pzTfPxc2GmJpUw=",
                    "lan_endpoint": "0.0.0.0:0"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Done, or nothing to change: `success` is true and `message` says which.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Success"
                }
              }
            }
          },
          "400": {
            "description": "The body is not a JSON object with string `pubkey` (base64 of 32 bytes) and the other required fields, or it is empty.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "403": {
            "description": "The connection's source address is not the registered WireGuard address of `pubkey`, or `alias` is not the peer's alias. `X-Forwarded-For`, `Forwarded` and `X-Real-IP` are ignored.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "404": {
            "description": "No peer is registered with `pubkey`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "409": {
            "description": "The peer's record kept changing under the compare-and-swap; try again.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "413": {
            "description": "The body is larger than 4096 bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "422": {
            "description": "`lan_endpoint` is not `ipv4:port` or `[ipv6]:port` with a port of 1-65535, or its address is unspecified, loopback, multicast, broadcast, in 0.0.0.0/8 or 240.0.0.0/4, or inside the WireGuard network. (Exactly `\"\"` and `\"0.0.0.0:0\"` are not refused: they clear the endpoint.)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "429": {
            "description": "The caller's rate limit (`ddns_rate_limit` requests a second, bursts of twice as many) is used up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "503": {
            "description": "etcd cannot be reached; nothing was written.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            },
            "headers": {
              "Retry-After": {
                "description": "Seconds to wait before trying again (5).",
                "schema": {
                  "type": "integer",
                  "minimum": 0
                }
              }
            }
          }
        }
      }
    },
    "/api/endpoint/delete": {
      "delete": {
        "operationId": "clearLANEndpoint",
        "summary": "Clear the caller's LAN endpoint (also one stored under the original's `endpoints/lan`).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/EndpointDeletion"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Done, or nothing to change: `success` is true and `message` says which.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Success"
                }
              }
            }
          },
          "400": {
            "description": "The body is not a JSON object with string `pubkey` (base64 of 32 bytes) and the other required fields, or it is empty.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "403": {
            "description": "The connection's source address is not the registered WireGuard address of `pubkey`, or `alias` is not the peer's alias. `X-Forwarded-For`, `Forwarded` and `X-Real-IP` are ignored.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "404": {
            "description": "No peer is registered with `pubkey`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "409": {
            "description": "The peer's record kept changing under the compare-and-swap; try again.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "413": {
            "description": "The body is larger than 4096 bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "429": {
            "description": "The caller's rate limit (`ddns_rate_limit` requests a second, bursts of twice as many) is used up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "503": {
            "description": "etcd cannot be reached; nothing was written.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            },
            "headers": {
              "Retry-After": {
                "description": "Seconds to wait before trying again (5).",
                "schema": {
                  "type": "integer",
                  "minimum": 0
                }
              }
            }
          }
        }
      }
    },
    "/api/relay": {
      "post": {
        "operationId": "requestRelay",
        "summary": "Give the caller and another peer a relay port on this node (docs/ARCHITECTURE.md §10), or return the one they have.",
        "description": "For a pair whose direct paths failed. Idempotent, from either side: both peers get the same port, and both point their endpoint for each other at the node's address with it. The allocation is stored in etcd under `/valon/relays/<key A>/<key B>` (keys sorted), so every node on the cluster and a restarted node keep it. It is dropped when either peer's LAN or NAT endpoint changes, and reclaimed after `relay_idle_timeout` without traffic.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RelayRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The pair's port: `created` is true when this request allocated it.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RelayGrant"
                }
              }
            }
          },
          "400": {
            "description": "The body is not a JSON object with string `pubkey` and `peer` (each base64 of 32 bytes), or both are the same key.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "403": {
            "description": "The connection's source address is not the registered WireGuard address of `pubkey`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "404": {
            "description": "No peer is registered with `pubkey` or with `peer`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "409": {
            "description": "One of the two peers has had no handshake with the discovery node for 180 s (offline peers get no port), or other writers kept taking the ports; try again later.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "413": {
            "description": "The body is larger than 4096 bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "429": {
            "description": "The caller's rate limit is used up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          },
          "503": {
            "description": "The registry has not been read yet, etcd is unreachable, every port of `relay_ports` is allocated, or the node runs with `relay: false`; nothing changed. `Retry-After` says when to try again.",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer"
                },
                "description": "Seconds."
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Refusal"
                }
              }
            }
          }
        }
      }
    },
    "/health": {
      "get": {
        "operationId": "health",
        "summary": "The state of etcd and of the WireGuard interface.",
        "responses": {
          "200": {
            "description": "etcd and the interface are healthy (`status` is `ok`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          },
          "503": {
            "description": "etcd's last read or watch failed, or the interface could not be read or programmed (`status` is `degraded`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics (text exposition format 0.0.4).",
        "responses": {
          "200": {
            "description": "The metrics.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openAPIDocument",
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "The OpenAPI 3 document of this API.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "EndpointUpdate": {
        "type": "object",
        "required": [
          "pubkey",
          "lan_endpoint"
        ],
        "additionalProperties": true,
        "description": "Fields other than these are ignored.",
        "properties": {
          "pubkey": {
            "$ref": "#/components/schemas/PublicKey"
          },
          "lan_endpoint": {
            "type": "string",
            "description": "`ipv4:port` or `[ipv6]:port`; `\"\"` or `\"0.0.0.0:0\"` clears it."
          },
          "alias": {
            "type": "string",
            "description": "When given, it must be the peer's registered alias; the API never changes aliases."
          }
        }
      },
      "EndpointDeletion": {
        "type": "object",
        "required": [
          "pubkey"
        ],
        "additionalProperties": true,
        "properties": {
          "pubkey": {
            "$ref": "#/components/schemas/PublicKey"
          },
          "alias": {
            "type": "string",
            "description": "When given, it must be the peer's registered alias."
          }
        }
      },
      "RelayRequest": {
        "type": "object",
        "required": [
          "pubkey",
          "peer"
        ],
        "additionalProperties": true,
        "properties": {
          "pubkey": {
            "$ref": "#/components/schemas/PublicKey"
          },
          "peer": {
            "$ref": "#/components/schemas/PublicKey"
          }
        }
      },
      "RelayGrant": {
        "allOf": [
          {
            "$ref": "#/components/schemas/Success"
          },
          {
            "type": "object",
            "required": [
              "port",
              "created"
            ],
            "properties": {
              "port": {
                "type": "integer",
                "minimum": 1,
                "maximum": 65535,
                "description": "The relay port; the address is the discovery node's public address (the client's DISCOVERY_ENDPOINT host)."
              },
              "created": {
                "type": "boolean"
              }
            }
          }
        ]
      },
      "PublicKey": {
        "type": "string",
        "minLength": 44,
        "maxLength": 44,
        "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
        "description": "A WireGuard public key: base64 of 32 bytes, 44 characters (canonical form). A text that is not base64 of 32 bytes is refused with 400."
      },
      "Reply": {
        "type": "object",
        "required": [
          "success",
          "message"
        ],
        "additionalProperties": false,
        "properties": {
          "success": {
            "type": "boolean"
          },
          "message": {
            "type": "string"
          }
        }
      },
      "Success": {
        "allOf": [
          {
            "$ref": "#/components/schemas/Reply"
          },
          {
            "type": "object",
            "properties": {
              "success": {
                "type": "boolean",
                "enum": [
                  true
                ]
              }
            }
          }
        ]
      },
      "Refusal": {
        "allOf": [
          {
            "$ref": "#/components/schemas/Reply"
          },
          {
            "type": "object",
            "properties": {
              "success": {
                "type": "boolean",
                "enum": [
                  false
                ]
              }
            }
          }
        ]
      },
      "Health": {
        "type": "object",
        "required": [
          "status"
        ],
        "additionalProperties": true,
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ok",
              "degraded"
            ]
          },
          "etcd": {
            "type": "object",
            "additionalProperties": true,
            "properties": {
              "healthy": {
                "type": "boolean"
              },
              "revision": {
                "type": "integer"
              },
              "peers": {
                "type": "integer",
                "minimum": 0
              },
              "problems": {
                "type": "integer",
                "minimum": 0
              }
            }
          },
          "wireguard": {
            "type": "object",
            "additionalProperties": true,
            "properties": {
              "interface": {
                "type": "string"
              },
              "healthy": {
                "type": "boolean"
              },
              "peers": {
                "type": "integer",
                "minimum": 0
              },
              "error": {
                "type": "string",
                "nullable": true
              }
            }
          }
        }
      }
    }
  }
}

"""#
}
