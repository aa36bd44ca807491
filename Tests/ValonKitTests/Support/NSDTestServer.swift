import Foundation
import Testing

/// A real NSD (NLnet Labs' authoritative server) serving zones the test writes, started
/// in the foreground on a free loopback port with a temporary directory of its own, and
/// stopped by its PID when the test ends (``stop()``, also from `deinit`).
final class NSDTestServer: @unchecked Sendable {
    struct Zone {
        var name: String
        /// The zone file's text.
        var text: String
        /// Addresses allowed to transfer the zone (`provide-xfr ... NOKEY`).
        var transferTo: [String] = ["127.0.0.1", "::1"]
    }

    let directory: URL
    let port: UInt16
    private let process: SpawnedProcess

    /// Starts NSD with `zones` on 127.0.0.1 (and ::1) and waits until it answers the
    /// first zone's SOA over UDP and TCP.
    init(zones: [Zone], extraServerOptions: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("valon-nsd-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var started: (SpawnedProcess, UInt16)?
        var lastError: (any Error)?
        for _ in 0..<5 where started == nil {
            let port = try FreePort.loopback()
            do {
                started = (try Self.launch(zones: zones, port: port, directory: directory,
                                           extraServerOptions: extraServerOptions), port)
            } catch {
                lastError = error
            }
        }
        guard let (process, port) = started else {
            try? FileManager.default.removeItem(at: directory)
            throw lastError!
        }
        self.process = process
        self.port = port
    }

    deinit { stop() }

    /// `127.0.0.1:<port>`.
    var endpointText: String { "127.0.0.1:\(port)" }

    /// Stops NSD by its PID and removes its directory.
    func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func launch(zones: [Zone], port: UInt16, directory: URL,
                               extraServerOptions: [String]) throws -> SpawnedProcess {
        let path = directory.path
        var config = """
            server:
              ip-address: 127.0.0.1
              ip-address: ::1
              port: \(port)
              username: ""
              chroot: ""
              zonesdir: "\(path)"
              pidfile: "\(path)/nsd.pid"
              xfrdfile: "\(path)/xfrd.state"
              xfrdir: "\(path)"
              zonelistfile: "\(path)/zone.list"
              database: ""
              logfile: "\(path)/nsd.log"
              server-count: 1
              verbosity: 1
              hide-version: yes
              refuse-any: no
            \(extraServerOptions.map { "  \($0)\n" }.joined())
            remote-control:
              control-enable: no

            """
        for zone in zones {
            let file = "\(zone.name.trimmingCharacters(in: CharacterSet(charactersIn: "."))).zone"
            try zone.text.write(toFile: "\(path)/\(file)", atomically: true, encoding: .utf8)
            config += "zone:\n  name: \"\(zone.name)\"\n  zonefile: \"\(file)\"\n"
            for address in zone.transferTo { config += "  provide-xfr: \(address) NOKEY\n" }
        }
        try config.write(toFile: "\(path)/nsd.conf", atomically: true, encoding: .utf8)
        _ = try Command.check(["nsd-checkconf", "\(path)/nsd.conf"])

        let process = try SpawnedProcess("/usr/sbin/nsd", ["-d", "-c", "\(path)/nsd.conf"])
        let apex = zones[0].name
        for _ in 0..<100 {
            if !process.isRunning { break }
            let udp = try Command.run(["dig", "+short", "+time=1", "+tries=1", "-p", "\(port)", "@127.0.0.1", apex, "SOA"])
            let tcp = try Command.run(["dig", "+short", "+tcp", "+time=1", "+tries=1", "-p", "\(port)", "@127.0.0.1", apex, "SOA"])
            if udp.status == 0, tcp.status == 0, !udp.stdout.isEmpty, !tcp.stdout.isEmpty { return process }
            usleep(50_000)
        }
        process.terminate()
        let log = (try? String(contentsOfFile: "\(path)/nsd.log", encoding: .utf8)) ?? ""
        throw NSDStartFailure(port: port, log: log)
    }
}

struct NSDStartFailure: Error, CustomStringConvertible {
    var port: UInt16
    var log: String
    var description: String { "NSD did not start on port \(port): \(log)" }
}

/// Free loopback ports, chosen by the kernel at run time.
enum FreePort {
    /// A port free for both UDP and TCP on 127.0.0.1 and ::1 at the moment of the call.
    static func loopback() throws -> UInt16 {
        for _ in 0..<20 {
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp) }
            guard let port = bind(tcp, port: 0) else { continue }
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(udp) }
            let udp6 = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(udp6) }
            let tcp6 = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp6) }
            if bind(udp, port: port) != nil, bind6(udp6, port: port), bind6(tcp6, port: port) { return port }
        }
        throw NSDStartFailure(port: 0, log: "no free loopback port")
    }

    /// Binds to 127.0.0.1:`port` and returns the bound port.
    static func bind(_ descriptor: Int32, port: UInt16) -> UInt16? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    static func bind6(_ descriptor: Int32, port: UInt16) -> Bool {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        } == 0
    }
}
