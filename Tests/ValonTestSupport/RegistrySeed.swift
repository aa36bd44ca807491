import ValonKit

/// Writes many peers straight into etcd in transactions (as `peer add` would leave them:
/// the peer's fields, the alias and the IP claim), for tests that need a registry of
/// thousands of peers quickly. Every peer gets a LAN and a NAT endpoint.
public enum RegistrySeed {
    /// Peers per transaction: 6 keys each stays under etcd's default `--max-txn-ops` 128.
    static let batch = 20

    /// Registers `count` peers named `prefix0`, `prefix1`, … with addresses from
    /// 10.`base`.0.0/16 upwards; returns them in the order written.
    @discardableResult
    public static func add(_ count: Int, to etcd: EtcdClient, keys: RegistryKeys = RegistryKeys(),
                           aliasPrefix prefix: String = "p", addressBase base: UInt8 = 64) async throws -> [Peer] {
        var peers = [Peer]()
        peers.reserveCapacity(count)
        for index in 0..<count {
            let key = try WireGuardKey.generatePrivate().publicKey()
            let address = IPAddress("10.\(base + UInt8(index / 62_500)).\(index / 250 % 250).\(index % 250 + 2)")!
            peers.append(Peer(publicKey: key, alias: "\(prefix)\(index)", wgIP: address,
                              lanEndpoint: Endpoint("192.168.\(index / 250 % 250).\(index % 250 + 2):51820"),
                              natEndpoint: Endpoint("203.0.\(index / 250 % 250).\(index % 250 + 1):\(40_000 + index % 20_000)")))
        }
        for start in stride(from: 0, to: peers.count, by: batch) {
            var operations = [EtcdOperation]()
            for peer in peers[start..<min(start + batch, peers.count)] {
                let puts: [(String, String)] = [
                    (keys.field(.wgIP, of: peer.publicKey), peer.wgIP.description),
                    (keys.field(.alias, of: peer.publicKey), peer.alias),
                    (keys.field(.lanEndpoint, of: peer.publicKey), peer.lanEndpoint!.description),
                    (keys.field(.natEndpoint, of: peer.publicKey), peer.natEndpoint!.description),
                    (keys.alias(peer.alias), peer.publicKey.base64),
                    (keys.ip(peer.wgIP), peer.publicKey.base64),
                ]
                operations += puts.map { .put(EtcdPutRequest(key: $0.0, value: $0.1)) }
            }
            _ = try await etcd.txn(EtcdTxnRequest(success: operations))
        }
        return peers
    }
}
