import Foundation
import Testing
@testable import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// The DDNS API client's own behaviour (request shape, typed errors) against a tiny HTTP
/// responder that answers what each test scripts and records what it received. The
/// real API is exercised by the end-to-end sync tests.
@Suite("DDNS API client", .tags(.process), .timeLimit(.minutes(10)))
struct DDNSClientProcessTests {
    /// `python3 -m http.server`-like responder: answers every request with STATUS and BODY
    /// and appends "METHOD PATH BODY" to the log file.
    final class Responder: @unchecked Sendable {
        let port: UInt16
        let log: String
        private let process = Process()
        private let directory: String

        init(status: Int, body: String) throws {
            directory = NSTemporaryDirectory() + "valon-ddns-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            log = directory + "/requests.log"
            port = try FreePort.loopback()
            let script = """
                import http.server, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def handle_any(self):
                        n = int(self.headers.get('Content-Length') or 0)
                        data = self.rfile.read(n).decode()
                        with open(sys.argv[2], 'a') as f:
                            f.write(self.command + ' ' + self.path + ' ' + self.headers.get('Content-Type', '') + ' ' + data + '\\n')
                        body = sys.argv[4].encode()
                        self.send_response(int(sys.argv[3]))
                        self.send_header('Content-Type', 'application/json')
                        self.send_header('Content-Length', str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    do_POST = do_DELETE = do_GET = handle_any
                    def log_message(self, *a): pass
                http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
                """
            try script.write(toFile: directory + "/responder.py", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", directory + "/responder.py", String(port), log, String(status), body]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<200 {
                if (try? Command.run(["curl", "-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/health"]))?.status == 0 { break }
                usleep(25_000)
            }
            try? FileManager.default.removeItem(atPath: log)
        }

        var requests: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func stop() {
            if process.isRunning {
                // SIGKILL: the child inherits the test thread's blocked SIGTERM.
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static let key = WireGuardKey.repeating(7)

    @Test("POST /api/endpoint sends pubkey, lan_endpoint and alias as JSON")
    func report() async throws {
        let responder = try Responder(status: 200, body: #"{"success": true, "message": "updated"}"#)
        defer { responder.stop() }
        let reply = try await DDNSClient(baseURL: "http://127.0.0.1:\(responder.port)/")
            .reportEndpoint(publicKey: Self.key, lanEndpoint: Endpoint("192.168.1.50:51820")!, alias: "client01")
        #expect(reply == DDNSClient.Reply(success: true, message: "updated"))
        #expect(responder.requests == [
            #"POST /api/endpoint application/json {"alias":"client01","lan_endpoint":"192.168.1.50:51820","pubkey":"\#(Self.key.base64)"}"#,
        ])
    }

    @Test("DELETE /api/endpoint/delete sends the pubkey")
    func clear() async throws {
        let responder = try Responder(status: 200, body: #"{"success": true, "message": "cleared"}"#)
        defer { responder.stop() }
        try await DDNSClient(baseURL: "http://127.0.0.1:\(responder.port)").clearEndpoint(publicKey: Self.key)
        #expect(responder.requests == [#"DELETE /api/endpoint/delete application/json {"pubkey":"\#(Self.key.base64)"}"#])
    }

    struct Rejection: Sendable, CustomTestStringConvertible {
        var status: Int
        var body: String
        var code: DDNSClientError.Code
        var message: String
        var testDescription: String { "HTTP \(status) \(body)" }
    }

    @Test("errors carry the status and the server's message", arguments: [
        Rejection(status: 403, body: #"{"success": false, "message": "caller 100.100.0.9 is not the peer"}"#,
                  code: .rejected, message: "caller 100.100.0.9 is not the peer"),
        Rejection(status: 422, body: #"{"success": false, "message": "invalid endpoint"}"#, code: .rejected, message: "invalid endpoint"),
        Rejection(status: 503, body: "etcd unavailable", code: .rejected, message: "etcd unavailable"),
        Rejection(status: 200, body: #"{"success": false, "message": "no"}"#, code: .badResponse, message: "no"),
        Rejection(status: 200, body: "<html>", code: .badResponse, message: "<html>"),
    ])
    func rejected(_ test: Rejection) async throws {
        let responder = try Responder(status: test.status, body: test.body)
        defer { responder.stop() }
        do {
            try await DDNSClient(baseURL: "http://127.0.0.1:\(responder.port)")
                .reportEndpoint(publicKey: Self.key, lanEndpoint: Endpoint("10.0.0.2:51820")!, alias: nil)
            Issue.record("no error for HTTP \(test.status)")
        } catch {
            #expect(error.code == test.code)
            #expect(error.status == test.status)
            #expect(error.message == test.message)
            #expect(error.description.contains("POST http://127.0.0.1:\(responder.port)/api/endpoint"))
        }
    }

    @Test("no server: a transport error naming the URL")
    func refused() async throws {
        let port = try FreePort.loopback()
        do {
            try await DDNSClient(baseURL: "http://127.0.0.1:\(port)", timeout: .seconds(2)).clearEndpoint(publicKey: Self.key)
            Issue.record("no error without a server")
        } catch {
            #expect(error.code == .transport)
            #expect(error.status == nil)
            #expect(error.curlCode == 7)  // CURLE_COULDNT_CONNECT
            #expect(error.description.contains("DELETE http://127.0.0.1:\(port)/api/endpoint/delete"))
        }
    }
}
