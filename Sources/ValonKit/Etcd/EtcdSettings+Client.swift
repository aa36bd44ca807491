extension EtcdSettings {
    /// The etcd client configuration these settings describe: endpoints, TLS files and
    /// credentials (valonctl.yml's `etcd:` and the discovery config's `etcd_endpoints`/`etcd:`
    /// alike); the client's own defaults for everything else.
    public var clientConfiguration: EtcdConfiguration {
        var result = EtcdConfiguration(endpoints: endpoints)
        if caCertificate != nil || clientCertificate != nil {
            result.tls = EtcdTLS(caFile: caCertificate, certificateFile: clientCertificate, keyFile: clientKey)
        }
        if let username, let password {
            result.credentials = EtcdCredentials(user: username, password: password)
        }
        return result
    }
}
