import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ValonKit

/// A real NSD authoritative server (Debian's `nsd`) for one test: it serves the zones the
/// test writes on a free 127.0.0.1 port (UDP and TCP), with its own config, pid file,
/// zone list and log in a fresh temporary directory. It runs in the foreground (`-d`)
/// and is stopped by its PID in ``stop()`` (and in `deinit`), and the directory removed.
///
///     let nsd = try NSDServer(zone: "example.test", text: zoneText)
///     defer { nsd.stop() }
///     // query 127.0.0.1:\(nsd.port)
///
/// AXFR is allowed from 127.0.0.1. Answer cookies are off, so answers do not depend on
/// time or secrets.
public final class NSDServer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The port NSD listens on, UDP and TCP, on 127.0.0.1.
    public let port: UInt16
    public let directory: URL
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    /// Starts NSD with one zone: `name` (for example `example.test`) and its zone file text
    /// (which may use `$ORIGIN`/`$TTL`; relative names are relative to `name`).
    public convenience init(zone name: String, text: String, extraServerOptions: [String] = []) throws {
        try self.init(zones: [(name, text)], extraServerOptions: extraServerOptions)
    }

    /// Starts NSD with several zones. Tries a few ports in case another test takes the
    /// chosen one between choosing and binding.
    public init(zones: [(name: String, text: String)], extraServerOptions: [String] = []) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("valon-nsd-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<4 {
            let port = try LoopbackUDP.freePort()
            do {
                let process = try NSDServer.launch(zones: zones, port: port, directory: directory,
                                                   extraServerOptions: extraServerOptions)
                self.port = port
                self.directory = directory
                self.process = process
                return
            } catch {
                lastError = error
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw lastError ?? Failure(description: "nsd did not start")
    }

    deinit { stop() }

    /// Stops NSD (SIGTERM to its PID, SIGKILL after 5 s) and removes its directory.
    public func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        NSDServer.terminate(process)
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's log so far, for failure messages.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
    }

    private static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<100 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func launch(
        zones: [(name: String, text: String)], port: UInt16, directory: URL, extraServerOptions: [String]
    ) throws -> Process {
        let path = directory.path
        var config = """
            server:
                ip-address: 127.0.0.1@\(port)
                port: \(port)
                do-ip6: no
                reuseport: no
                server-count: 1
                username: ""
                chroot: ""
                zonesdir: "\(path)"
                database: ""
                zonelistfile: "\(path)/zone.list"
                xfrdfile: "\(path)/xfrd.state"
                xfrdir: "\(path)"
                pidfile: "\(path)/nsd.pid"
                logfile: "\(path)/nsd.log"
                cookie-secret-file: "\(path)/cookiesecrets.txt"
                verbosity: 1
                hide-version: yes
                hide-identity: yes

            """
        for option in extraServerOptions { config += "    \(option)\n" }
        config += """
            remote-control:
                control-enable: no

            """
        for (name, text) in zones {
            let file = "\(path)/\(name).zone"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try Command.run(["nsd-checkzone", name, file])
            guard check.status == 0 else {
                throw Failure(description: "nsd-checkzone \(name): \(check.stdout)\(check.stderr)")
            }
            config += """
                zone:
                    name: "\(name)"
                    zonefile: "\(file)"
                    provide-xfr: 127.0.0.1 NOKEY

                """
        }
        let configFile = "\(path)/nsd.conf"
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        let check = try Command.run(["nsd-checkconf", configFile])
        guard check.status == 0 else { throw Failure(description: "nsd-checkconf: \(check.stdout)\(check.stderr)") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nsd")
        process.arguments = ["-d", "-c", configFile]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            try waitUntilServing(zones[0].name, port: port, process: process, directory: directory)
        } catch {
            terminate(process)
            throw error
        }
        return process
    }

    /// Polls with an SOA query until NSD answers from the zone (up to 20 s on a busy machine).
    private static func waitUntilServing(_ zone: String, port: UInt16, process: Process, directory: URL) throws {
        let socket = try LoopbackUDP()
        let query = try DNSMessage.query(id: 0x5EED, name: DNSName(zone), type: .soa, edns: nil).encoded()
        for _ in 0..<200 {
            guard process.isRunning else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
                throw Failure(description: "nsd exited with status \(process.terminationStatus) on port \(port): \(log)")
            }
            if let reply = try socket.exchange(query, with: port, timeoutMilliseconds: 100),
               let message = try? DNSMessage(decoding: reply), message.header.id == 0x5EED,
               message.header.responseCode == .noError, !message.answers.isEmpty {
                return
            }
        }
        throw Failure(description: "nsd on port \(port) did not answer the SOA query for \(zone)")
    }
}
