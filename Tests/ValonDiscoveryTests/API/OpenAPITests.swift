import Foundation
import Testing
@testable import ValonDiscovery
import ValonKit
import ValonTestSupport

/// The DDNS API's OpenAPI 3 document (`docs/openapi.json`, served at `GET /openapi.json`):
/// valid by openapi-spec-validator, the same bytes the live node serves, naming every route
/// and every status the API can return, and the live node's answers conform to it under
/// schemathesis, from a registered peer's WireGuard address and from an address that is
/// not one. The PyPI tools come from scripts/install-deps.sh ($VALON_PYTOOLS).
@Suite(.serialized, .tags(.process, .root), .timeLimit(.minutes(10))) struct OpenAPIRootTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let documentPath = repository.appendingPathComponent("docs/openapi.json").path
    static let tools = ProcessInfo.processInfo.environment["VALON_PYTOOLS"] ?? "/opt/valon-pytools"

    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: documentPath))) as? [String: Any])
    }

    static func responses(_ path: String, _ method: String) throws -> Set<String> {
        let paths = try #require(try document()["paths"] as? [String: Any])
        let operation = try #require((paths[path] as? [String: Any])?[method] as? [String: Any], "\(method) \(path)")
        return Set(try #require(operation["responses"] as? [String: Any]).keys)
    }

    @Test func theDocumentIsValidAndCompiledInByteForByte() throws {
        let result = try Command.run(["\(Self.tools)/bin/openapi-spec-validator", Self.documentPath])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("OK"))
        #expect(OpenAPIDocument.text == (try String(contentsOfFile: Self.documentPath, encoding: .utf8)),
                "OpenAPIDocument.swift must hold docs/openapi.json unchanged")
        #expect(try Self.document()["openapi"] as? String == "3.0.3")
    }

    @Test func everyRouteAndEveryRefusalIsInTheDocument() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: Any])
        #expect(Set(paths.keys) == ["/api/endpoint", "/api/endpoint/delete", "/api/relay", "/health", "/metrics", "/openapi.json"])
        let codes: [DDNSError.Code] = [.malformedRequest, .bodyTooLarge, .unknownKey, .forbidden, .invalidEndpoint,
                                       .tooManyRequests, .unavailable, .conflict]
        let refusals = Set(codes.map { String(DDNSError($0, "").status.code) })
        #expect(try Self.responses("/api/endpoint", "post") == refusals.union(["200"]))
        #expect(try Self.responses("/api/endpoint/delete", "delete") == refusals.union(["200"]).subtracting(["422"]),
                "a deletion checks no endpoint")
        #expect(try Self.responses("/api/relay", "post") == refusals.union(["200"]).subtracting(["422"]),
                "a relay request names no endpoint")
        #expect(try Self.responses("/health", "get") == ["200", "503"])
        #expect(try Self.responses("/metrics", "get") == ["200"])
        #expect(try Self.responses("/openapi.json", "get") == ["200"])
    }

    /// schemathesis' checks that a response breaks neither the server nor the document.
    static let checks = "not_a_server_error,status_code_conformance,content_type_conformance,"
        + "response_headers_conformance,response_schema_conformance"

    @Test func theLiveNodeConformsUnderSchemathesisFromAPeerAndFromElsewhere() async throws {
        let bed = try await DiscoveryTestbed.start(clients: 1)
        defer { bed.shutdown() }
        try await RunningDiscovery.with(bed.config(rateLimit: 1000)) { node, port in
            let me = bed.clients[0]
            let url = "http://\(bed.discoveryIP):\(port)"

            // Served through the tunnel: the repository's bytes, and valid as fetched.
            let served = try await bed.curl(from: me, "GET", "/openapi.json", port: port)
            #expect(served.status == 200)
            #expect(served.headers.lowercased().contains("content-type: application/json"))
            let fetched = "\(bed.directory)/served-openapi.json"
            try await bed.run(["curl", "-sS", "--max-time", "10", "-o", fetched, "\(url)/openapi.json"], in: me)
            #expect(FileManager.default.contentsEqual(atPath: fetched, andPath: Self.documentPath),
                    "GET /openapi.json serves docs/openapi.json byte for byte")
            let valid = try Command.run(["\(Self.tools)/bin/openapi-spec-validator", fetched])
            #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")

            // The document with its examples naming the registered peer, so that the examples
            // phase sends a report and an offline marker that succeed; the contract is the same.
            var text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
            text = text.replacingOccurrences(of: "kHxXR2oB0m4WcJ8rz0Ac6sVSo8Tf1pzTfPxc2GmJpUw=", with: me.publicKey.base64)
                .replacingOccurrences(of: "\"alias\": \"client01\"", with: "\"alias\": \"\(me.alias)\"")
            let schema = "\(bed.directory)/openapi-peer.json"
            try text.write(toFile: schema, atomically: true, encoding: .utf8)

            func schemathesis(in namespace: String?, schema: String) async throws -> Command.Result {
                // In the testbed's directory, where schemathesis leaves its .schemathesis/ files.
                let command = (namespace.map { ["ip", "netns", "exec", $0] } ?? []) + ["env", "-C", bed.directory,
                    "\(Self.tools)/bin/schemathesis", "run", schema, "--url", url, "--checks", Self.checks,
                    "--max-examples", "30", "--seed", "13", "--workers", "1", "--request-timeout", "30",
                    "--phases", "examples,coverage,fuzzing", "--generation-database", "none", "--no-color",
                ]
                let directory = bed.directory
                return try await offPool { try Command.run(command, environment: ["HOME": directory, "PATH": "/usr/bin:/bin"]) }
            }
            // From the peer's WireGuard address, through its tunnel.
            let fromPeer = try await schemathesis(in: me.device.namespace, schema: schema)
            #expect(fromPeer.status == 0, "from the peer:\n\(fromPeer.stdout.suffix(6000))\(fromPeer.stderr.suffix(2000))")
            #expect(try await bed.field("lan_endpoint", of: me.publicKey) != "garbage")
            // From the host, whose source address is the discovery node's, no peer's.
            let fromElsewhere = try await schemathesis(in: nil, schema: Self.documentPath)
            #expect(fromElsewhere.status == 0, "from elsewhere:\n\(fromElsewhere.stdout.suffix(6000))\(fromElsewhere.stderr.suffix(2000))")
            let metrics = try await bed.curl(from: me, "GET", "/metrics", port: port)
            #expect(!metrics.body.contains(#"valon_api_requests_total{status="5"#), "\(metrics.body)")
        }
    }
}
