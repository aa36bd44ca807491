/// How errors of the layers underneath become `valonctl`'s error classes.
extension AdminError {
    public init(_ error: RegistryError) {
        switch error.code {
        case .invalidAlias, .invalidKey, .invalidEndpoint, .invalidAddress, .invalidRelay:
            self.init(.usage, error.message, cause: error)
        case .aliasTaken, .addressTaken, .keyRegistered, .networkFull, .relayPortsExhausted:
            self.init(.conflict, error.message, cause: error)
        case .peerNotFound:
            self.init(.notFound, error.message, cause: error)
        case .etcd:
            if let etcdError = error.etcdError {
                self.init(etcdError, while: error.message)
            } else {
                self.init(.failure, error.message, cause: error)
            }
        case .invalidRecord, .conflict:
            self.init(.failure, error.message, cause: error)
        }
    }

    /// An etcd failure: unreachable (naming every endpoint tried), refused credentials,
    /// or anything else etcd answered.
    public init(_ error: EtcdError, while what: String? = nil) {
        let text = what.map { "\($0): \(error)" } ?? error.description
        switch error.code {
        case .connection, .timeout, .unavailable:
            self.init(.etcdUnreachable, text, cause: error)
        case .authentication:
            self.init(.permissionDenied, text, cause: error)
        case .server where error.grpcCode == EtcdError.GRPCCode.permissionDenied
            || error.grpcCode == EtcdError.GRPCCode.unauthenticated:
            self.init(.permissionDenied, text, cause: error)
        case .configuration:
            self.init(.configuration, text, cause: error)
        default:
            self.init(.failure, text, cause: error)
        }
    }

    public init(_ error: WireGuardError) {
        switch error.code {
        case .permissionDenied:
            self.init(.permissionDenied, "\(error.message) (needs root: CAP_NET_ADMIN or access to the WireGuard control socket)",
                      cause: error)
        default:
            self.init(.interface, error.message, cause: error)
        }
    }

    public init(_ error: ConfigError) {
        self.init(.configuration, error.description, cause: error)
    }
}
