import Foundation
import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// Real etcd members (Debian's `etcd-server`) for tests: one member or a three-member
/// cluster on free loopback ports with temporary data directories, optionally serving
/// clients over TLS with certificates from a test CA made by `openssl`.
///
/// ```swift
/// let etcd = try await EtcdCluster.start()
/// defer { etcd.shutdown() }
/// ```
public final class EtcdCluster: @unchecked Sendable {
    public struct Member {
        public var name: String
        public var clientURL: String
        public var peerURL: String
        public var dataDirectory: String
        public var process: Process?
    }

    /// Client certificate files made by the test CA.
    public struct Certificates {
        public var caFile: String
        public var serverCertificate: String
        public var serverKey: String
        public var clientCertificate: String
        public var clientKey: String
    }

    public let directory: String
    public let certificates: Certificates?
    private let lock = NSLock()
    private var members: [Member]
    private let clusterToken: String
    private let extraArguments: [String]

    /// The client URLs, in member order.
    public var clientURLs: [String] { lock.withLock { members.map(\.clientURL) } }
    public var memberCount: Int { lock.withLock { members.count } }

    private init(directory: String, members: [Member], certificates: Certificates?, extraArguments: [String]) {
        self.directory = directory
        self.extraArguments = extraArguments
        self.members = members
        self.certificates = certificates
        clusterToken = "valon-test-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Starts `size` members and waits until every one answers `/health`.
    /// `extraArguments` go to every member (`--auth-token-ttl 1`).
    public static func start(size: Int = 1, tls: Bool = false, extraArguments: [String] = []) async throws -> EtcdCluster {
        // A port found free may be taken by another test before etcd binds it: try anew.
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                return try await startOnce(size: size, tls: tls, extraArguments: extraArguments)
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    /// Where members keep their data: `/dev/shm` (tmpfs) where there is one. etcd syncs its
    /// WAL on every write; on a disk shared by a whole parallel test run those syncs took
    /// seconds and API requests behind them timed out, while on tmpfs they cost nothing.
    /// The tests exercise etcd's protocol and failover, not its disk.
    static let dataRoot: String = {
        var info = stat()
        if stat("/dev/shm", &info) == 0, access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
        return FileManager.default.temporaryDirectory.path
    }()

    private static func startOnce(size: Int, tls: Bool, extraArguments: [String]) async throws -> EtcdCluster {
        let directory = "\(dataRoot)/valon-etcd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates: Certificates?
        do {
            certificates = tls ? try makeCertificates(in: directory) : nil
        } catch {
            try? FileManager.default.removeAll(atPath: directory)
            throw error
        }
        let ports = try freePorts(2 * size)
        let scheme = tls ? "https" : "http"
        let members = (0..<size).map { index in
            Member(name: "m\(index)", clientURL: "\(scheme)://127.0.0.1:\(ports[2 * index])",
                   peerURL: "http://127.0.0.1:\(ports[2 * index + 1])",
                   dataDirectory: "\(directory)/m\(index).etcd", process: nil)
        }
        let cluster = EtcdCluster(directory: directory, members: members, certificates: certificates,
                                  extraArguments: extraArguments)
        do {
            for index in 0..<size { try cluster.launch(index) }
            for index in 0..<size { try await cluster.waitUntilHealthy(index) }
        } catch {
            cluster.shutdown()
            throw error
        }
        return cluster
    }

    /// Stops every member and deletes the data directories.
    public func shutdown() {
        for index in 0..<memberCount { stop(index, signal: SIGKILL) }
        try? FileManager.default.removeAll(atPath: directory)
    }

    /// Stops one member by its PID (SIGTERM by default) and waits for it to exit.
    public func stop(_ index: Int, signal: Int32 = SIGTERM) {
        let process = lock.withLock { () -> Process? in
            let process = members[index].process
            members[index].process = nil
            return process
        }
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        _ = Command.reap(process)
    }

    /// Sends a signal to a running member by its PID (SIGSTOP to freeze it, SIGCONT to thaw it).
    public func signal(_ index: Int, _ signal: Int32) {
        if let process = lock.withLock({ members[index].process }), process.isRunning {
            kill(process.processIdentifier, signal)
        }
    }

    /// Starts a stopped member again on its data directory and waits until it is healthy.
    public func restart(_ index: Int) async throws {
        try launch(index)
        try await waitUntilHealthy(index)
    }

    /// The index of the member that is the raft leader now, as `etcdctl endpoint status` sees it.
    public func leader() throws -> Int? {
        let output = try etcdctl(["endpoint", "status", "--write-out=json"], endpoints: clientURLs, allowFailure: true)
        guard let data = output.data(using: .utf8),
              let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
        for entry in entries {
            guard let endpoint = entry["Endpoint"] as? String, let status = entry["Status"] as? [String: Any],
                  let header = status["header"] as? [String: Any],
                  let memberID = header["member_id"] as? NSNumber, let leader = status["leader"] as? NSNumber,
                  memberID == leader else { continue }
            return clientURLs.firstIndex(of: endpoint)
        }
        return nil
    }

    /// Runs `etcdctl` (API v3) against the running members and returns its output.
    @discardableResult
    public func etcdctl(_ arguments: [String], endpoints: [String]? = nil, user: String? = nil,
                 allowFailure: Bool = false) throws -> String {
        var command = ["etcdctl", "--endpoints=\((endpoints ?? runningURLs).joined(separator: ","))", "--command-timeout=10s"]
        if let certificates {
            command += ["--cacert=\(certificates.caFile)", "--cert=\(certificates.clientCertificate)",
                        "--key=\(certificates.clientKey)"]
        }
        if let user { command.append("--user=\(user)") }
        command += arguments
        let environment = ["ETCDCTL_API": "3"]
        if allowFailure { return try Command.run(command, environment: environment).stdout }
        return try Command.check(command, environment: environment)
    }

    /// `etcdctl get --prefix` as key → value.
    public func dump(prefix: String, user: String? = nil) throws -> [String: String] {
        let output = try etcdctl(["get", "--prefix", prefix], user: user)
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var result: [String: String] = [:]
        var index = 0
        while index + 1 < lines.count {
            result[lines[index]] = lines[index + 1]
            index += 2
        }
        return result
    }

    /// What member `index` has logged so far (its stdout and stderr).
    public func log(_ index: Int = 0) -> String {
        let name = lock.withLock { members[index].name }
        return (try? String(contentsOfFile: "\(directory)/\(name).log", encoding: .utf8)) ?? ""
    }

    /// Whether any member has logged that it dropped the simple auth `token` (expired after
    /// `--auth-token-ttl` seconds unused); needs `--log-level info`.
    public func hasDeletedToken(_ token: String) -> Bool {
        (0..<memberCount).contains { index in
            log(index).split(separator: "\n").contains { $0.contains("deleted a simple token") && $0.contains("\"\(token)\"") }
        }
    }

    private var runningURLs: [String] {
        lock.withLock { members.filter { $0.process?.isRunning == true }.map(\.clientURL) }
    }

    private func launch(_ index: Int) throws {
        let (member, all) = lock.withLock { (members[index], members) }
        let initialCluster = all.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        var arguments = [
            "--name", member.name, "--data-dir", member.dataDirectory,
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster", initialCluster, "--initial-cluster-token", clusterToken,
            "--initial-cluster-state", "new",
            "--heartbeat-interval", "50", "--election-timeout", "500",
            "--log-level", "warn", "--logger", "zap",
        ]
        if let certificates {
            arguments += ["--cert-file", certificates.serverCertificate, "--key-file", certificates.serverKey,
                          "--trusted-ca-file", certificates.caFile, "--client-cert-auth"]
        }
        arguments += extraArguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments = arguments
        let log = "\(directory)/\(member.name).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { members[index].process = process }
    }

    private func waitUntilHealthy(_ index: Int) async throws {
        let (url, name) = lock.withLock { (members[index].clientURL, members[index].name) }
        var command = ["curl", "-s", "--max-time", "1"]
        if let certificates {
            command += ["--cacert", certificates.caFile, "--cert", certificates.clientCertificate,
                        "--key", certificates.clientKey]
        }
        command.append("\(url)/health")
        for _ in 0..<150 {
            if let result = try? Command.run(command), result.stdout.contains("\"health\":\"true\"") { return }
            let running = lock.withLock { members[index].process?.isRunning ?? false }
            if !running { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Command.Failure(commandLine: "etcd \(name) at \(url) did not become healthy",
                              result: .init(status: 1, stdout: "", stderr: String(log(index).suffix(2000))))
    }

    /// A test CA, a server certificate for 127.0.0.1 and a client certificate for `root`.
    private static func makeCertificates(in directory: String) throws -> Certificates {
        let d = directory
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Command.check(["openssl", "req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", "\(d)/ca.crt",
                                                             "-days", "2", "-subj", "/CN=valon-test-ca"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: "\(d)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(d)/client.ext", atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=etcd"), ("client", "/CN=root")] {
            try Command.check(["openssl", "req"] + ec + ["-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr",
                                                        "-subj", subject])
            try Command.check(["openssl", "x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.crt",
                               "-CAkey", "\(d)/ca.key", "-CAcreateserial", "-out", "\(d)/\(name).crt",
                               "-days", "2", "-extfile", "\(d)/\(name).ext"])
        }
        return Certificates(caFile: "\(d)/ca.crt", serverCertificate: "\(d)/server.crt", serverKey: "\(d)/server.key",
                            clientCertificate: "\(d)/client.crt", clientKey: "\(d)/client.key")
    }

    /// Free TCP ports on 127.0.0.1, found by binding to port 0 (all bound at once, so distinct).
    public static func freePorts(_ count: Int) throws -> [Int] {
        let reservation = try PortReservation(count)
        reservation.release()
        return reservation.ports
    }
}

/// Loopback TCP ports held bound, without listening, until released: a connection to one
/// is refused, and no other process can take the port meanwhile (an unreachable endpoint
/// that stays unreachable while tests run in parallel).
public final class PortReservation: @unchecked Sendable {
    public let ports: [Int]
    private var sockets: [Int32]

    public init(_ count: Int) throws {
        var sockets: [Int32] = []
        var ports: [Int] = []
        do {
            for _ in 0..<count {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { throw SystemError(operation: "socket", errno: errno) }
                sockets.append(fd)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = 0
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let bound = withUnsafeMutablePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                    }
                }
                guard bound else { throw SystemError(operation: "bind", target: "127.0.0.1:0", errno: errno) }
                ports.append(Int(UInt16(bigEndian: address.sin_port)))
            }
        } catch {
            for fd in sockets { close(fd) }
            throw error
        }
        self.sockets = sockets
        self.ports = ports
    }

    /// `http://127.0.0.1:<port>` for each port.
    public var urls: [String] { ports.map { "http://127.0.0.1:\($0)" } }

    public func release() {
        for fd in sockets { close(fd) }
        sockets = []
    }

    deinit { release() }
}

extension FileManager {
    public func removeAll(atPath path: String) throws {
        if fileExists(atPath: path) { try removeItem(atPath: path) }
    }
}
