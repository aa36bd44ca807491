import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ValonKit

/// A real NSD authoritative server (Debian's `nsd`) for one test: it serves the zones the
/// test writes on a free loopback port (UDP and TCP, on 127.0.0.1 and ::1), with its own
/// config, pid file, zone list and log in a fresh temporary directory. It runs in the
/// foreground (`-d`), started through ``SpawnedProcess`` so that it sees SIGTERM, and is
/// stopped by its PID in ``stop()`` (and in `deinit`), and the directory removed.
///
///     let nsd = try NSDServer(zone: "example.test", text: zoneText)
///     defer { nsd.stop() }
///     // query 127.0.0.1:\(nsd.port)
///
/// Each zone allows AXFR (RFC 5936) from ``Zone/transferTo``, by default 127.0.0.1 and ::1.
/// Answer cookies are off, so answers do not depend on time or secrets.
public final class NSDServer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// One zone NSD serves.
    public struct Zone: Sendable {
        /// The apex, for example `example.test`.
        public var name: String
        /// The zone file's text (which may use `$ORIGIN`/`$TTL`; relative names are relative to `name`).
        public var text: String
        /// Addresses allowed to transfer the zone (`provide-xfr: <address> NOKEY`); empty refuses AXFR.
        public var transferTo: [String]
        /// Whether `nsd-checkzone` must accept the file before NSD starts; `false` for a test
        /// of a zone NSD cannot load (NSD then answers SERVFAIL for it).
        public var checked: Bool
        /// `ADDRESS@PORT` of a primary: NSD is then a secondary for the zone, loads it by
        /// AXFR from there (`request-xfr: AXFR …`) and `text` is ignored.
        public var primary: String?
        /// Whether the secondary asks IXFR (RFC 1995) first (`request-xfr: …` without `AXFR`)
        /// and takes NOTIFY from 127.0.0.1 (`allow-notify`); it lets 127.0.0.1 transfer the
        /// zone from it, so that a test can compare what it holds.
        public var incremental = false

        public init(name: String, text: String, transferTo: [String] = ["127.0.0.1", "::1"], checked: Bool = true) {
            self.name = name
            self.text = text
            self.transferTo = transferTo
            self.checked = checked
        }

        /// A zone NSD transfers from `primary` (`ADDRESS@PORT`) as a secondary.
        public static func secondary(name: String, primary: String, incremental: Bool = false) -> Zone {
            var zone = Zone(name: name, text: "", transferTo: [], checked: false)
            zone.primary = primary
            zone.incremental = incremental
            return zone
        }
    }

    /// The port NSD listens on, UDP and TCP, on 127.0.0.1 and ::1.
    public let port: UInt16
    public let directory: URL
    private let process: SpawnedProcess
    private let lock = NSLock()
    private var stopped = false

    /// Starts NSD with one zone `name` whose zone file is `text`.
    public convenience init(zone name: String, text: String, extraServerOptions: [String] = []) throws {
        try self.init(zones: [Zone(name: name, text: text)], extraServerOptions: extraServerOptions)
    }

    /// Starts NSD with `zones` and waits until it answers the first zone's SOA. Tries a few
    /// ports in case another test takes the chosen one between choosing and binding.
    /// `extraServerOptions` are added to the `server:` clause (for example `tcp-count: 1`).
    public init(zones: [Zone], extraServerOptions: [String] = []) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("valon-nsd-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                let port = try FreePort.loopback()
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

    /// `127.0.0.1:<port>`.
    public var endpointText: String { "127.0.0.1:\(port)" }

    /// Stops NSD (SIGTERM to its PID, SIGKILL after 5 s) and removes its directory.
    public func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's log so far, for failure messages.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
    }

    private static func launch(
        zones: [Zone], port: UInt16, directory: URL, extraServerOptions: [String]
    ) throws -> SpawnedProcess {
        let path = directory.path
        var config = """
            server:
                ip-address: 127.0.0.1
                ip-address: ::1
                port: \(port)
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
                refuse-any: no

            """
        for option in extraServerOptions { config += "    \(option)\n" }
        config += """
            remote-control:
                control-enable: no

            """
        for zone in zones {
            let file = "\(path)/\(zone.name.trimmingCharacters(in: CharacterSet(charactersIn: "."))).zone"
            if let primary = zone.primary {
                config += "zone:\n    name: \"\(zone.name)\"\n    zonefile: \"\(file)\"\n"
                config += zone.incremental
                    ? "    request-xfr: \(primary) NOKEY\n    allow-notify: 127.0.0.1 NOKEY\n    provide-xfr: 127.0.0.1 NOKEY\n"
                    : "    request-xfr: AXFR \(primary) NOKEY\n"
                continue
            }
            try zone.text.write(toFile: file, atomically: true, encoding: .utf8)
            let check = zone.checked ? try Command.run(["nsd-checkzone", zone.name, file]) : nil
            if let check, check.status != 0 {
                throw Failure(description: "nsd-checkzone \(zone.name): \(check.stdout)\(check.stderr)")
            }
            config += "zone:\n    name: \"\(zone.name)\"\n    zonefile: \"\(file)\"\n"
            for address in zone.transferTo { config += "    provide-xfr: \(address) NOKEY\n" }
        }
        let configFile = "\(path)/nsd.conf"
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        let check = try Command.run(["nsd-checkconf", configFile])
        guard check.status == 0 else { throw Failure(description: "nsd-checkconf: \(check.stdout)\(check.stderr)") }

        let process = try SpawnedProcess("/usr/sbin/nsd", ["-d", "-c", configFile])
        do {
            // A secondary waits for its transfer; one that failed is retried after the SOA's
            // retry interval (10 s for VALON's zone), so on a loaded machine it takes longer.
            try waitUntilServing(zones[0].name, port: port, process: process, directory: directory,
                                 attempts: zones[0].primary == nil ? 200 : 600)
        } catch {
            process.terminate()
            throw error
        }
        return process
    }

    /// Polls with an SOA query until NSD answers from the zone (`attempts` of at least 100 ms:
    /// 20 s by default, on a busy machine).
    private static func waitUntilServing(_ zone: String, port: UInt16, process: SpawnedProcess, directory: URL,
                                         attempts: Int = 200) throws {
        let socket = try LoopbackUDP()
        let query = try DNSMessage.query(id: 0x5EED, name: DNSName(zone), type: .soa, edns: nil).encoded()
        for _ in 0..<attempts {
            guard process.isRunning else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
                throw Failure(description: "nsd exited on port \(port): \(log)")
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
