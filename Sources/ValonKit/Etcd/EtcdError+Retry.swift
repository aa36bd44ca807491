extension EtcdError {
    /// Whether another endpoint may succeed where this one failed: the connection failed,
    /// or etcd said it cannot serve now (no leader, leader changed, timed out inside raft).
    var isRetryableElsewhere: Bool {
        switch code {
        case .connection, .timeout: true
        case .server: grpcCode == GRPCCode.unavailable
        default: false
        }
    }
}
