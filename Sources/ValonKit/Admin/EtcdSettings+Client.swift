extension EtcdSettings {
    /// The etcd client configuration these settings describe: endpoints, TLS files and
    /// credentials. An administrator's command waits at most 3 s through an election.
    public var clientConfiguration: EtcdConfiguration {
        var result = EtcdConfiguration(endpoints: endpoints)
        if caCertificate != nil || clientCertificate != nil {
            result.tls = EtcdTLS(caFile: caCertificate, certificateFile: clientCertificate, keyFile: clientKey)
        }
        if let username, let password {
            result.credentials = EtcdCredentials(user: username, password: password)
        }
        result.retryWindow = .seconds(3)
        return result
    }
}
