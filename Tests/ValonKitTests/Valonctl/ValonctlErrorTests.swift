import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import ValonKit

/// Every documented failure produced for real: its exit status, its message, and that
/// it changed nothing.
@Suite("valonctl errors and exit statuses", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ValonctlErrorRootTests {
    @Test("alias taken, address taken, key registered: exit 3, registry unchanged")
    func conflicts() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let owner = try newPublicKey(), other = try newPublicKey()
        #expect(try node.valonctl(["peer", "add", owner.base64, "--alias", "client01"]).status == 0)
        let before = try node.registry()

        let alias = try node.valonctl(["peer", "add", other.base64, "--alias", "client01"])
        #expect(alias.status == 3)
        #expect(alias.stderr == "valonctl: alias client01 is taken by \(owner.base64)\n")

        let address = try node.valonctl(["peer", "add", other.base64, "--alias", "client02", "--wg-ip", "100.100.0.2"])
        #expect(address.status == 3)
        #expect(address.stderr == "valonctl: address 100.100.0.2 is taken by \(owner.base64)\n")

        let key = try node.valonctl(["peer", "add", owner.base64, "--alias", "again"])
        #expect(key.status == 3)
        #expect(key.stderr.contains("a peer with key \(owner.base64) is already registered"))

        #expect(try node.registry() == before)
        #expect(try node.wgDump().peers.map(\.publicKey) == [owner])

        // The discovery node's own key is not a client.
        let own = try node.discoveryPrivateKey.publicKey()
        let itself = try node.valonctl(["peer", "add", own.base64, "--alias", "self"])
        #expect(itself.status == 2)
        #expect(itself.stderr == "valonctl: \(own.base64) is the discovery node's own public key, not a client's\n")
        #expect(try node.registry() == before)
    }

    @Test("invalid values: exit 2 with the reason", arguments: [
        (["peer", "add", "not-a-key", "--alias", "a"], "invalid public key"),
        (["peer", "add", "AAAA", "--alias", "a"], "invalid public key"),
        (["peer", "add", "KEY", "--alias", "Client01"], "alias \"Client01\" has an uppercase letter"),
        (["peer", "add", "KEY", "--alias", "lan"], "alias \"lan\" is reserved"),
        (["peer", "add", "KEY", "--alias", "a", "--wg-ip", "10.0.0.5"], "address 10.0.0.5 is outside the network 100.100.0.0/24"),
        (["peer", "add", "KEY", "--alias", "a", "--wg-ip", "100.100.0.255"], "address 100.100.0.255 is the broadcast (last) address"),
        (["peer", "add", "KEY", "--alias", "a", "--wg-ip", "100.100.0.1"], "address 100.100.0.1 belongs to the discovery node"),
        (["peer", "add", "KEY", "--alias", "a", "--wg-ip", "banana"], "\"banana\" is not an IP address"),
    ])
    func invalidValues(arguments: [String], message: String) async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let key = try newPublicKey()
        let result = try node.valonctl(arguments.map { $0 == "KEY" ? key.base64 : $0 })
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("valonctl: "))
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try node.registry().isEmpty)
        #expect(try node.wgDump().peers.isEmpty)
    }

    @Test("no such peer: exit 4")
    func notFound() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        for command in [["peer", "show", "ghost"], ["peer", "remove", "ghost"]] {
            let result = try node.valonctl(command)
            #expect(result.status == 4)
            #expect(result.stderr.contains("ghost"), "\(result.stderr)")
        }
        let key = try newPublicKey()
        let byKey = try node.valonctl(["peer", "remove", key.base64])
        #expect(byKey.status == 4)
        #expect(byKey.stderr == "valonctl: no peer with key \(key.base64)\n")
    }

    @Test("etcd unreachable: exit 5 naming every endpoint tried")
    func etcdUnreachable() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let ports = try EtcdCluster.freePorts(2)
        let endpoints = ports.map { "http://127.0.0.1:\($0)" }
        try node.writeConfig(etcdEndpoints: endpoints, apiURL: "http://127.0.0.1:9")
        for command in [["peer", "add", try newPublicKey().base64, "--alias", "a"], ["peer", "list"], ["peer", "export"]] {
            let result = try node.valonctl(command)
            #expect(result.status == 5, "\(command): \(result.stderr)")
            for endpoint in endpoints { #expect(result.stderr.contains(endpoint), "\(result.stderr)") }
            #expect(result.stderr.contains("no etcd endpoint answered"))
        }
        #expect(try node.wgDump().peers.isEmpty)
    }

    @Test("interface missing and no key file: exit 6, nothing registered")
    func interfaceMissing() async throws {
        let node = try await ValonctlFixture(withInterface: false)
        defer { node.shutdown() }
        let keyDirectory = node.directory + "/wireguard"
        try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true)
        let key = try newPublicKey()
        let result = try node.valonctl(["peer", "add", key.base64, "--alias", "a", "--key-dir", keyDirectory])
        #expect(result.status == 6)
        #expect(result.stderr.contains("interface \(node.interface) does not exist"), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was registered"))
        #expect(try node.registry().isEmpty)

        // With the discovery node's key file the peer is registered and a warning says the
        // interface will get it from the reconciler.
        try WireGuardKeyFile.write(node.discoveryPrivateKey, to: keyDirectory + "/\(node.interface).key")
        let added = try node.valonctl(["peer", "add", key.base64, "--alias", "a", "--key-dir", keyDirectory])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stderr.contains("warning: interface \(node.interface) does not exist"))
        #expect(added.stdout.contains("PublicKey = \(try node.discoveryPrivateKey.publicKey().base64)\n"))
        #expect(!added.stdout.contains(node.discoveryPrivateKey.base64))
        #expect(try node.registry()["/valon/aliases/a"] == key.base64)

        // Listing and removing work without the interface, and say it is missing.
        let list = try node.valonctl(["peer", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("100.100.0.2  -    -    -               -\n"), "\(list.stdout)")
        #expect(list.stderr.contains("warning: interface \(node.interface) does not exist"))
        let show = try node.valonctl(["peer", "show", "a"])
        #expect(show.stdout.contains("interface does not exist"))
        let removed = try node.valonctl(["peer", "remove", "a"])
        #expect(removed.status == 0)
        #expect(removed.stderr.contains("warning: interface \(node.interface) does not exist"))
        #expect(try node.registry().isEmpty)
    }

    @Test("permission denied: an unprivileged user, an unreadable file, an unwritable export: exit 7")
    func permissionDenied() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        // The configuration holds etcd credentials: root only.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: node.configPath)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: node.directory)
        let unreadable = try node.valonctl(["peer", "list"], user: ValonctlRunner.nobody)
        #expect(unreadable.status == 7)
        #expect(unreadable.stderr.contains("cannot read the configuration \(node.configPath): permission denied"), "\(unreadable.stderr)")

        // A readable configuration, but the WireGuard control socket is root's.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: node.configPath)
        let key = try newPublicKey()
        let socket = try node.valonctl(["peer", "add", key.base64, "--alias", "a"], user: ValonctlRunner.nobody)
        #expect(socket.status == 7)
        #expect(socket.stderr.contains("not allowed to connect to /var/run/wireguard/\(node.interface).sock"), "\(socket.stderr)")
        #expect(try node.registry().isEmpty)

        // Writing the export where the user may not.
        let target = node.directory + "/locked/peers.json"
        try FileManager.default.createDirectory(atPath: node.directory + "/locked", withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        let export = try node.valonctl(["peer", "export", target], user: ValonctlRunner.nobody)
        #expect(export.status == 7)
        #expect(export.stderr.contains("cannot write \(target): permission denied"), "\(export.stderr)")
    }

    @Test("configuration missing or invalid: exit 8 naming the file and key")
    func configuration() async throws {
        let missing = try ValonctlRunner.run(["peer", "list", "--config", "/nonexistent/valonctl.yml"])
        #expect(missing.status == 8)
        #expect(missing.stderr.contains("/nonexistent/valonctl.yml does not exist"))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("valonctl-\(randomSuffix())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(atPath: directory) }
        let path = directory + "/bad.yml"
        try "wireguard:\n  ip: 100.100.0.1\n  endpoint: 192.168.1.100:51820\n  network: 100.100.0.0/33\n".write(toFile: path, atomically: true, encoding: .utf8)
        let invalid = try ValonctlRunner.run(["peer", "list", "--config", path])
        #expect(invalid.status == 8)
        #expect(invalid.stderr.contains("wireguard.network"), "\(invalid.stderr)")
    }

    @Test("usage errors exit 2 with the usage")
    func usage() throws {
        let result = try ValonctlRunner.run(["peer", "add", "--alias"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage: valonctl peer add"))
        let unknown = try ValonctlRunner.run(["frobnicate"])
        #expect(unknown.status == 2)
    }

    @Test("the interface goes away after the registry write: the peer stays registered, a warning names the interface, exit 0")
    func interfaceVanishesAfterTheRegistryWrite() async throws {
        let node = try await ValonctlFixture()
        defer { node.shutdown() }
        let device = try #require(node.device)
        let key = try newPublicKey()
        let port = try #require(URL(string: node.etcd.clientURLs[0])?.port)
        // etcd frozen: valonctl reads the interface, connects to etcd and waits there (for
        // up to its 5 s request timeout). Everything below runs on threads of its own, so a
        // busy test run cannot make it miss that window.
        let etcd = node.etcd, config = node.configPath
        let result = try await onOwnThread { () throws -> Command.Result in
            etcd.signal(0, SIGSTOP)
            let finished = DispatchSemaphore(value: 0)
            let outcome = Locked<Result<Command.Result, any Error>?>(nil)  // the run on another thread
            Thread {
                outcome.value = Result { try ValonctlRunner.run(["peer", "add", key.base64, "--alias", "late", "--json", "--config", config]) }
                finished.signal()
            }.start()
            let deadline = Date().addingTimeInterval(15)
            var waiting = false
            while !waiting && Date() < deadline && finished.wait(timeout: .now()) == .timedOut {
                let sockets = try Command.run(["ss", "-Htnp", "state", "established", "( dport = :\(port) )"])
                waiting = sockets.stdout.contains("\"valonctl\"")
                if !waiting { usleep(20_000) }
            }
            // The interface goes away (wireguard-go stops, its socket is removed), then etcd
            // answers and the registry write goes through.
            if waiting { device.stop() }
            etcd.signal(0, SIGCONT)
            finished.wait()
            guard waiting else { throw ValonctlRunner.Missing(description: "valonctl never connected to etcd") }
            return try outcome.value!.get()
        }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("warning: the peer is registered, but adding it to \(device.name) failed"), "\(result.stderr)")
        #expect(result.stderr.contains("valon-discovery adds it from the registry"))
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(json?["interface_updated"] as? Bool == false, "\(result.stdout)")
        #expect((json?["interface_note"] as? String)?.contains(device.name) == true)
        let registry = try node.registry()
        #expect(registry["/valon/peers/\(key.base64)/alias"] == "late")
        #expect(registry["/valon/aliases/late"] == key.base64)
    }
}

/// Permission as etcd decides it: a user whose role may only read the registry, and a
/// wrong password.
@Suite("valonctl and etcd authentication", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ValonctlEtcdAuthRootTests {
    @Test("a read-only etcd user lists peers but cannot add one; a wrong password is refused; exit 7")
    func readOnlyUser() async throws {
        let node = try await ValonctlFixture(etcdArguments: ["--auth-token", "simple"])
        defer { node.shutdown() }
        let etcd = node.etcd
        try etcd.etcdctl(["user", "add", "root:rootpw"])
        try etcd.etcdctl(["role", "add", "valon-admin"])
        try etcd.etcdctl(["role", "grant-permission", "valon-admin", "--prefix=true", "readwrite", "/valon/"])
        try etcd.etcdctl(["role", "add", "valon-auditor"])
        try etcd.etcdctl(["role", "grant-permission", "valon-auditor", "--prefix=true", "read", "/valon/"])
        try etcd.etcdctl(["user", "add", "admin:adminpw"])
        try etcd.etcdctl(["user", "grant-role", "admin", "valon-admin"])
        try etcd.etcdctl(["user", "add", "auditor:auditorpw"])
        try etcd.etcdctl(["user", "grant-role", "auditor", "valon-auditor"])
        try etcd.etcdctl(["auth", "enable"], user: "root:rootpw")

        try node.writeConfig(etcdEndpoints: etcd.clientURLs, apiURL: "http://127.0.0.1:9", credentials: ("admin", "adminpw"))
        let first = try newPublicKey()
        let added = try node.valonctl(["peer", "add", first.base64, "--alias", "client01"])
        #expect(added.status == 0, "\(added.stderr)")

        try node.writeConfig(etcdEndpoints: etcd.clientURLs, apiURL: "http://127.0.0.1:9", credentials: ("auditor", "auditorpw"))
        let listed = try node.valonctl(["peer", "list", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains(first.base64))
        let denied = try node.valonctl(["peer", "add", try newPublicKey().base64, "--alias", "client02"])
        #expect(denied.status == 7)
        #expect(denied.stderr.contains("permission denied"), "\(denied.stderr)")
        #expect(try etcd.dump(prefix: "/valon/", user: "root:rootpw").count == 4)

        try node.writeConfig(etcdEndpoints: etcd.clientURLs, apiURL: "http://127.0.0.1:9", credentials: ("auditor", "s3cret-wrong"))
        let wrong = try node.valonctl(["peer", "list"])
        #expect(wrong.status == 7)
        #expect(wrong.stderr.contains("authentication failed"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("s3cret-wrong"))
    }
}
