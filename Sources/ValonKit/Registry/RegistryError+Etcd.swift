extension RegistryError {
    /// A `.etcd` error: `what` failed because etcd did.
    init(_ what: String, _ error: EtcdError) {
        self.init(.etcd, "\(what): etcd failed", etcdError: error)
    }
}
