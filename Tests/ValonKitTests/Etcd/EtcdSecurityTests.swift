import Foundation
import Testing
@testable import ValonKit

/// TLS with client certificates from a test CA, and etcd's username/password auth.
@Suite("etcd TLS and auth against a real member", .tags(.process), .timeLimit(.minutes(10)))
struct EtcdSecurityProcessTests {
    @Test("TLS with a CA, client certificate and key works; without them it fails clearly")
    func tls() async throws {
        let etcd = try await EtcdCluster.start(tls: true)
        defer { etcd.shutdown() }
        let files = try #require(etcd.certificates)
        var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
        configuration.tls = EtcdTLS(caFile: files.caFile, certificateFile: files.clientCertificate, keyFile: files.clientKey)
        let client = try EtcdClient(configuration)
        try await client.put(EtcdPutRequest(key: "/tls", value: "yes"))
        #expect(try etcd.etcdctl(["get", "/tls", "--print-value-only"]) == "yes\n")
        // A range of keys goes over gRPC: HTTP/2 negotiated with ALPN inside TLS.
        #expect(try await client.range(.prefix("/t")).kvs.map(\.valueString) == ["yes"])
        let watched = try await collect(client.watch(.prefix("/tls", startRevision: 1)), within: .seconds(20)) { !$0.isEmpty }
        #expect(watched.first?.events.first?.kv.valueString == "yes")

        // Without a client certificate the server refuses the handshake.
        configuration.tls = EtcdTLS(caFile: files.caFile)
        let noCertificate = await #expect(throws: EtcdError.self) { try await EtcdClient(configuration).get("/tls") }
        #expect(noCertificate?.code == .unavailable)
        #expect(noCertificate?.description.contains(etcd.clientURLs[0]) == true)

        // Without the CA the server's certificate is not trusted.
        configuration.tls = EtcdTLS(certificateFile: files.clientCertificate, keyFile: files.clientKey)
        let untrusted = await #expect(throws: EtcdError.self) { try await EtcdClient(configuration).get("/tls") }
        #expect(untrusted?.description.lowercased().contains("certificate") == true)
    }

    @Test("username and password: a role-limited user works, wrong credentials fail clearly, an expired token is renewed")
    func auth() async throws {
        // At log level info etcd says when it drops an idle token ("deleted a simple token").
        let etcd = try await EtcdCluster.start(extraArguments: ["--auth-token", "simple", "--auth-token-ttl", "3",
                                                                "--log-level", "info"])
        defer { etcd.shutdown() }
        try etcd.etcdctl(["user", "add", "root:rootpw"])
        try etcd.etcdctl(["role", "add", "valon"])
        try etcd.etcdctl(["role", "grant-permission", "valon", "--prefix=true", "readwrite", "/valon/"])
        try etcd.etcdctl(["user", "add", "alice:alicepw"])
        try etcd.etcdctl(["user", "grant-role", "alice", "valon"])
        try etcd.etcdctl(["auth", "enable"], user: "root:rootpw")

        var configuration = EtcdConfiguration(endpoints: etcd.clientURLs)
        configuration.credentials = EtcdCredentials(user: "alice", password: "alicepw")
        let client = try EtcdClient(configuration)
        try await client.put(EtcdPutRequest(key: "/valon/a", value: "1"))
        #expect(try etcd.dump(prefix: "/valon/", user: "root:rootpw") == ["/valon/a": "1"])
        let firstToken = try #require(client.transport.currentToken)
        // Over gRPC the token travels as the `token` metadata.
        #expect(try await client.range(.prefix("/valon/")).kvs.map(\.keyString) == ["/valon/a"])
        let deniedRange = await #expect(throws: EtcdError.self) { try await client.range(.prefix("/")) }
        #expect(deniedRange?.code == .authentication)

        // Outside the role's prefix: permission denied, named as such.
        let denied = await #expect(throws: EtcdError.self) { try await client.put(EtcdPutRequest(key: "/other", value: "x")) }
        #expect(denied?.code == .authentication)
        #expect(denied?.serverMessage?.contains("permission denied") == true)

        // The simple token expires after three seconds of idleness; the client authenticates
        // again, on the gateway and on gRPC. (With one or two seconds, a loaded machine let a
        // fresh token expire between etcd issuing it and the request that used it.) Any use
        // of a token renews it, so the wait reads etcd's log, never the token.
        try await eventually("etcd to drop the first token", limit: .seconds(30)) {
            etcd.hasDeletedToken(firstToken)
        }
        #expect(try await client.get("/valon/a")?.valueString == "1")
        #expect(client.transport.currentToken != firstToken)
        let secondToken = try #require(client.transport.currentToken)
        try await eventually("etcd to drop the second token", limit: .seconds(30)) {
            etcd.hasDeletedToken(secondToken)
        }
        #expect(try await client.range(.prefix("/valon/")).count == 1)
        #expect(client.transport.currentToken != secondToken)

        // A watch with credentials.
        let watched = try await collect(client.watch(.prefix("/valon/", startRevision: 1)), within: .seconds(20)) { !$0.isEmpty }
        #expect(watched.first?.events.first?.kv.keyString == "/valon/a")

        configuration.credentials = EtcdCredentials(user: "alice", password: "wrong")
        let wrong = await #expect(throws: EtcdError.self) { try await EtcdClient(configuration).get("/valon/a") }
        #expect(wrong?.code == .authentication)
        #expect(wrong?.description.contains("authenticate as alice") == true)
        #expect(wrong?.serverMessage?.contains("authentication failed") == true)
        #expect(wrong?.description.contains("wrong") == false)

        configuration.credentials = nil
        let anonymous = await #expect(throws: EtcdError.self) { try await EtcdClient(configuration).get("/valon/a") }
        #expect(anonymous?.code == .authentication)
    }
}
