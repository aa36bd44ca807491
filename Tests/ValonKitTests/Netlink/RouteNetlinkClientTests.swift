import Foundation
import Testing
import ValonTestSupport
@testable import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// rtnetlink against the running kernel, inside a throwaway namespace (see
/// ``NetworkNamespace`` for how the socket gets there), with `ip -j` as the oracle.
@Suite("rtnetlink links, addresses and routes in a namespace", .tags(.process, .root), .timeLimit(.minutes(10)))
struct RouteNetlinkClientRootTests {
    /// Set by the VM's /init (scripts/vm): the kernel there has the WireGuard module.
    static let kernelHasWireGuard = ProcessInfo.processInfo.environment["VALON_VM_KERNEL_WIREGUARD"] == "1"

    @Test("create, index, MTU, up/down and delete a bridge link")
    func linkLifecycle() async throws {
        try await offPool {
            let namespace = try NetworkNamespace()
            defer { namespace.delete() }
            let client = try namespace.routeClient()
            let name = "br\(randomSuffix(6))"

            try client.createLink(name: name, kind: "bridge")
            let link = try #require(try namespace.ipJSON(["link", "show", "dev", name]).first)
            #expect(try client.interfaceIndex(name: name) == Int32(link["ifindex"] as! Int))

            try client.setMTU(1380, name: name)
            #expect(try namespace.ipJSON(["link", "show", "dev", name]).first?["mtu"] as? Int == 1380)

            try client.setUp(true, name: name)
            #expect((try namespace.ipJSON(["link", "show", "dev", name]).first?["flags"] as? [String])?.contains("UP") == true)
            try client.setUp(false, name: name)
            #expect((try namespace.ipJSON(["link", "show", "dev", name]).first?["flags"] as? [String])?.contains("UP") == false)

            let duplicate = #expect(throws: NetlinkError.self) { try client.createLink(name: name, kind: "bridge") }
            #expect(duplicate?.code == .kernel)
            #expect(duplicate?.errno == EEXIST)
            #expect(duplicate?.message.contains(name) == true)

            try client.deleteLink(name: name)
            #expect(try Command.run(["ip", "-n", namespace.name, "link", "show", "dev", name]).status != 0)
            let missing = #expect(throws: NetlinkError.self) { try client.deleteLink(name: name) }
            #expect(missing?.errno == ENODEV)
            #expect(missing?.description.contains("RTM_GETLINK \(name)") == true)
        }
    }

    @Test("a wireguard link: created where the kernel has the module, else the typed fallback error")
    func wireGuardKind() async throws {
        try await offPool {
            let namespace = try NetworkNamespace()
            defer { namespace.delete() }
            let client = try namespace.routeClient()
            let name = "wg\(randomSuffix(6))"
            if Self.kernelHasWireGuard {
                try client.createWireGuardLink(name: name)
                let link = try #require(try namespace.ipJSON(["-d", "link", "show", "dev", name]).first)
                #expect((link["linkinfo"] as? [String: Any])?["info_kind"] as? String == "wireguard")
                try client.deleteLink(name: name)
            } else {
                let error = #expect(throws: NetlinkError.self) { try client.createWireGuardLink(name: name) }
                #expect(error?.code == .noWireGuardInKernel)
                #expect(error?.errno == EOPNOTSUPP)
                #expect(try Command.run(["ip", "-n", namespace.name, "link", "show", "dev", name]).status != 0)
            }
        }
    }

    @Test("add, list and remove IPv4 and IPv6 addresses")
    func addresses() async throws {
        try await offPool {
            let namespace = try NetworkNamespace()
            defer { namespace.delete() }
            let client = try namespace.routeClient()
            let name = "va\(randomSuffix(6))"
            try namespace.ip(["link", "add", name, "type", "veth", "peer", "name", "vb" + name.dropFirst(2)])
            try client.setUp(true, name: name)
            let v4 = IPNetwork("10.77.3.9/24")!, v6 = IPNetwork("fd00:77::9/64")!

            try client.addAddress(v4, interface: name)
            try client.addAddress(v6, interface: name)
            let shown = try oracleAddresses(namespace, name)
            #expect(shown.contains(v4) && shown.contains(v6))

            let index = try client.interfaceIndex(name: name)
            let listed = try client.addresses(interface: name)
            #expect(Set(listed.map(\.network)) == Set(shown))
            #expect(listed.allSatisfy { $0.interfaceIndex == index })
            #expect(listed.first { $0.network == v4 }?.label == name)
            #expect(listed.map(\.network.canonical).contains(IPNetwork("10.77.3.0/24")!))
            // The dump of every interface also holds the loopback's 127.0.0.1/8.
            #expect(try client.addresses().contains { $0.network == IPNetwork("127.0.0.1/8")! })

            let again = #expect(throws: NetlinkError.self) { try client.addAddress(v4, interface: name) }
            #expect(again?.errno == EEXIST)
            #expect(again?.message.contains("10.77.3.9/24") == true)

            try client.removeAddress(v4, interface: name)
            try client.removeAddress(v6, interface: name)
            let after = try oracleAddresses(namespace, name)
            #expect(!after.contains(v4) && !after.contains(v6))
            #expect(try client.addresses(interface: name).allSatisfy { $0.network != v4 && $0.network != v6 })
        }
    }

    @Test("add and remove routes, with and without a gateway")
    func routes() async throws {
        try await offPool {
            let namespace = try NetworkNamespace()
            defer { namespace.delete() }
            let client = try namespace.routeClient()
            let name = "va\(randomSuffix(6))"
            let peer = "vb" + name.dropFirst(2)
            try namespace.ip(["link", "add", name, "type", "veth", "peer", "name", peer])
            try namespace.ip(["link", "set", name, "up"])
            try namespace.ip(["link", "set", peer, "up"])
            try namespace.ip(["address", "add", "10.20.0.1/24", "dev", name])
            try namespace.ip(["address", "add", "fd00:20::1/64", "dev", name])

            try client.addRoute(IPNetwork("10.99.0.0/16")!, interface: name)
            try client.addRoute(IPNetwork("10.98.0.0/16")!, interface: name, gateway: IPAddress("10.20.0.254"), metric: 7)
            try client.addRoute(IPNetwork("fd00:99::/48")!, interface: name)
            let v4 = try namespace.ipJSON(["route", "show", "dev", name])
            #expect(v4.contains { $0["dst"] as? String == "10.99.0.0/16" && $0["scope"] as? String == "link" })
            #expect(v4.contains { $0["dst"] as? String == "10.98.0.0/16" && $0["gateway"] as? String == "10.20.0.254"
                && $0["metric"] as? Int == 7 })
            #expect(try namespace.ipJSON(["-6", "route", "show", "dev", name]).contains { $0["dst"] as? String == "fd00:99::/48" })

            let again = #expect(throws: NetlinkError.self) { try client.addRoute(IPNetwork("10.99.0.0/16")!, interface: name) }
            #expect(again?.errno == EEXIST)

            try client.removeRoute(IPNetwork("10.99.0.0/16")!, interface: name)
            try client.removeRoute(IPNetwork("10.98.0.0/16")!, interface: name, gateway: IPAddress("10.20.0.254"), metric: 7)
            try client.removeRoute(IPNetwork("fd00:99::/48")!, interface: name)
            let dests = try namespace.ipJSON(["route", "show", "dev", name]).compactMap { $0["dst"] as? String }
                + (try namespace.ipJSON(["-6", "route", "show", "dev", name]).compactMap { $0["dst"] as? String })
            #expect(!dests.contains("10.99.0.0/16") && !dests.contains("10.98.0.0/16") && !dests.contains("fd00:99::/48"))
            let gone = #expect(throws: NetlinkError.self) { try client.removeRoute(IPNetwork("10.99.0.0/16")!, interface: name) }
            #expect(gone?.errno == ESRCH)
        }
    }

    @Test("route lookup agrees with `ip route get` over two veth pairs")
    func routeLookup() async throws {
        try await offPool {
            let namespace = try NetworkNamespace()
            defer { namespace.delete() }
            let client = try namespace.routeClient()
            let suffix = randomSuffix(6)
            let (vethA, vethB, vethC, vethD) = ("va\(suffix)", "vb\(suffix)", "vc\(suffix)", "vd\(suffix)")
            try namespace.ip(["link", "add", vethA, "type", "veth", "peer", "name", vethB])
            try namespace.ip(["link", "add", vethC, "type", "veth", "peer", "name", vethD])
            for link in [vethA, vethB, vethC, vethD] { try namespace.ip(["link", "set", link, "up"]) }
            try namespace.ip(["address", "add", "192.168.50.1/24", "dev", vethA])
            try namespace.ip(["address", "add", "192.168.51.1/24", "dev", vethB])
            try namespace.ip(["address", "add", "172.16.5.5/16", "dev", vethC])
            try namespace.ip(["address", "add", "fd00:5::5/64", "dev", vethC, "nodad"])
            try namespace.ip(["route", "add", "default", "via", "192.168.50.254", "dev", vethA])
            try namespace.ip(["route", "add", "10.200.0.0/16", "dev", vethC, "src", "172.16.5.5"])

            for destination in ["192.168.50.77", "192.168.51.9", "172.16.9.9", "10.200.1.1", "8.8.8.8", "fd00:5::77", "127.0.0.1"] {
                let oracle = try #require(try namespace.ipJSON(["route", "get", destination]).first)
                let lookup = try client.lookupRoute(to: IPAddress(destination)!)
                let device = try #require(oracle["dev"] as? String)
                #expect(lookup.interfaceIndex == (try client.interfaceIndex(name: device)), "\(destination) leaves by \(device)")
                #expect(lookup.source?.description == oracle["prefsrc"] as? String, "source toward \(destination)")
                #expect(lookup.gateway?.description == oracle["gateway"] as? String, "gateway toward \(destination)")
            }
            let unreachable = #expect(throws: NetlinkError.self) { try client.lookupRoute(to: IPAddress("2001:db8::1")!) }
            #expect(unreachable?.errno == ENETUNREACH)
            #expect(unreachable?.message.contains("2001:db8::1") == true)
        }
    }

    private func oracleAddresses(_ namespace: NetworkNamespace, _ name: String) throws -> [IPNetwork] {
        let links = try namespace.ipJSON(["address", "show", "dev", name])
        return links.flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }.compactMap { info in
            guard let local = info["local"] as? String, let length = info["prefixlen"] as? Int,
                  let address = IPAddress(local) else { return nil }
            return IPNetwork(address: address, prefixLength: length)
        }
    }
}
