/// The two etcd calls the registry is made of: a range read and a transaction
/// (etcdserverpb.KV `Range` and `Txn`). ``EtcdClient`` is the real one; behind this
/// protocol ``PeerRegistry``'s logic (allocation, the one-transaction add and remove, the
/// compare-and-swap endpoint updates, the original layout) runs against any store that
/// keeps etcd's semantics, and one contract suite runs the same cases against both.
public protocol RegistryStore: Sendable {
    func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse
    func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse
}

extension EtcdClient: RegistryStore {}
