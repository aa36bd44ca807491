import ValonKit

extension WireGuardKey {
    /// A test key made of 32 copies of `byte`: distinct bytes give distinct keys, and its
    /// base64 and hex forms are easy to recognise in an expectation (`AQEB…AQE=` for 1).
    public static func repeating(_ byte: UInt8) -> WireGuardKey {
        try! WireGuardKey(bytes: [UInt8](repeating: byte, count: 32))
    }
}
