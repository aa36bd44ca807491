import Foundation
import Testing
import ValonKit

/// The pure parts of valonctl's output: the client's configuration, tables, ages, the
/// mapping of errors to exit statuses.
@Suite("valonctl output (pure)")
struct AdminPureTests {
    static let config = try! ValonctlConfig(parsing: """
        wireguard:
          interface: wg0
          ip: 10.8.0.1
          endpoint: vpn.example.org:51820
          network: 10.8.0.0/16
          dns_zone: mesh.example
        etcd:
          endpoints: [http://127.0.0.1:2379]
        ddns:
          api_url: http://10.8.0.1:8053
        """, file: "test.yml")

    @Test("the client's wg-quick configuration uses the network's real prefix and the discovery /32")
    func wgQuick() throws {
        let discovery = try WireGuardKey(base64: "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")
        let peer = Peer(publicKey: try WireGuardKey(base64: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="),
                        alias: "laptop", wgIP: IPAddress("10.8.3.7")!)
        let setup = ClientSetup(peer: peer, discoveryPublicKey: discovery, configuration: Self.config)
        #expect(setup.wgQuickConfiguration == """
            [Interface]
            Address = 10.8.3.7/16
            PrivateKey = <INSERT_YOUR_PRIVATE_KEY_HERE>
            MTU = 1420

            [Peer]
            # Discovery Role
            PublicKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
            Endpoint = vpn.example.org:51820
            AllowedIPs = 10.8.0.1/32
            PersistentKeepalive = 25

            """)
        #expect(setup.clientConfiguration.rendered() == """
            # VALON client configuration (/etc/valon/client.conf)
            WG_INTERFACE=wg0
            DISCOVERY_PUBKEY=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
            DISCOVERY_ENDPOINT=vpn.example.org:51820
            DISCOVERY_ALLOWED_IPS=10.8.0.1/32
            DISCOVERY_DNS=10.8.0.1
            DISCOVERY_API=http://10.8.0.1:8053
            DNS_ZONE=mesh.example
            OWN_WG_IP=10.8.3.7
            OWN_ALIAS=laptop
            WG_PORT=51820
            ALLOWED_IPS=10.8.0.0/16
            PRIVATE_KEY_FILE=/etc/wireguard/wg0.key

            """)
    }

    @Test("handshake ages", arguments: [
        (Int64(0), "0s"), (59, "59s"), (60, "1m 0s"), (187, "3m 7s"), (3600, "1h 0m"), (7500, "2h 5m"), (356_400, "4d 3h"),
    ])
    func ages(seconds: Int64, text: String) {
        #expect(PeerTable.age(seconds: seconds) == text)
    }

    @Test("the peer table pads columns and tells no interface from no handshake")
    func table() throws {
        let key = try WireGuardKey(base64: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=")
        var peer = Peer(publicKey: key, alias: "a", wgIP: IPAddress("100.100.0.2")!)
        peer.lanEndpoint = Endpoint("192.168.1.50:51820")
        let seen = WireGuardPeer(publicKey: key, lastHandshake: .init(seconds: 1000))
        #expect(PeerTable.render([PeerView(peer: peer, interfacePeer: seen)], interfacePresent: true, now: 1065) == """
            ALIAS  PUBKEY                                        WG IP        LAN                 NAT  LAST HANDSHAKE  RELAYED WITH
            a      xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=  100.100.0.2  192.168.1.50:51820  -    1m 5s ago       -

            """)
        #expect(PeerTable.handshake(WireGuardPeer(publicKey: key), interfacePresent: true, now: 0) == "never")
        #expect(PeerTable.handshake(nil, interfacePresent: false, now: 0) == "-")
    }

    @Test("relay partners: each pair of the peer, named by alias (by key when the other has no record), in port order")
    func relayPartners() throws {
        let a = try WireGuardKey(base64: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=")
        let b = try WireGuardKey(base64: "HC1EsKuifafR/AQXo1+bdqrhTi2sUl9gq0wFoYneFH0=")
        let c = try WireGuardKey(base64: "igC8c+ZB0KR6mlAZpvqtQe8ihTQPVL9YHXWlhSc2bUQ=")
        let gone = try WireGuardKey(base64: "ihPeaT932Q03JFaYgJIHyk4kazNSTr5rkU7rd5W1lQU=")
        let peers = [Peer(publicKey: a, alias: "a", wgIP: IPAddress("100.100.0.2")!),
                     Peer(publicKey: b, alias: "b", wgIP: IPAddress("100.100.0.3")!),
                     Peer(publicKey: c, alias: "c", wgIP: IPAddress("100.100.0.4")!)]
        let relays = [RelayAllocation(between: a, and: c, port: 51830), RelayAllocation(between: b, and: a, port: 51821),
                      RelayAllocation(between: gone, and: a, port: 51825), RelayAllocation(between: b, and: c, port: 51822)]
        let partners = PeerView.relayPartners(of: a, in: relays, peers: peers)
        #expect(partners == [.init(alias: "b", publicKey: b, port: 51821), .init(alias: gone.base64, publicKey: gone, port: 51825),
                             .init(alias: "c", publicKey: c, port: 51830)])
        #expect(PeerTable.relayed(partners) == "b:51821,\(gone.base64):51825,c:51830")
        #expect(PeerView.relayPartners(of: b, in: [], peers: peers).isEmpty)
        #expect(PeerTable.relayed([]) == "-")
        let view = PeerView(peer: peers[0], interfacePeer: nil, relays: Array(partners.prefix(1)))
        #expect(PeerTable.details(view, interfaceName: "wg0", interfacePresent: true, now: 0).contains("relayed with: b (port 51821)\n"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PeerJSON(view))) as? [String: Any]
        let relayed = json?["relayed_with"] as? [[String: Any]]
        #expect(relayed?.count == 1)
        #expect(relayed?.first?["alias"] as? String == "b" && relayed?.first?["pubkey"] as? String == b.base64
                && relayed?.first?["port"] as? Int == 51821)
    }

    static let registryCases: [(RegistryError, Int32)] = [
        (RegistryError(.aliasTaken, "x"), 3), (RegistryError(.addressTaken, "x"), 3), (RegistryError(.keyRegistered, "x"), 3),
        (RegistryError(.networkFull, "x"), 3), (RegistryError(.invalidKey, "x"), 2), (RegistryError(.invalidAddress, "x"), 2),
        (RegistryError(.invalidAlias, "x"), 2), (RegistryError(.peerNotFound, "x"), 4),
        (RegistryError(.etcd, "x", etcdError: EtcdError(.unavailable, "u")), 5),
        (RegistryError(.etcd, "x", etcdError: EtcdError(.authentication, "a")), 7),
        (RegistryError(.etcd, "x", etcdError: EtcdError(.server, "s", cause: .etcd(grpcCode: 7, message: "permission denied", httpStatus: 403))), 7),
    ]

    @Test("errors map to exit statuses", arguments: registryCases)
    func registryExitStatuses(error: RegistryError, status: Int32) {
        #expect(AdminError(error).code.exitStatus == status)
    }

    @Test("WireGuard errors: missing interface 6, permission 7")
    func wireGuardExitStatuses() {
        #expect(AdminError(WireGuardError(.noSuchDevice, operation: "get", device: "wg0", "gone")).code == .interface)
        #expect(AdminError(WireGuardError(.permissionDenied, operation: "get", device: "wg0", "no")).code == .permissionDenied)
        #expect(AdminError(WireGuardError(.timedOut, operation: "set", device: "wg0", "slow")).code == .interface)
    }

    @Test("exit statuses are distinct")
    func distinct() {
        #expect(Set(AdminError.Code.allCases.map(\.exitStatus)).count == AdminError.Code.allCases.count)
    }
}
