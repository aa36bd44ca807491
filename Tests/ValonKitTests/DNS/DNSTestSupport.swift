@testable import ValonKit

/// A name from presentation text that the test knows is valid.
func name(_ text: String) -> DNSName {
    do { return try DNSName(text) } catch { preconditionFailure("bad test name \(text): \(error)") }
}

/// The ``DNSError`` `body` throws, or `nil` when it throws nothing (or something else).
func dnsError(_ body: () throws -> Void) -> DNSError? {
    do {
        try body()
        return nil
    } catch {
        return error as? DNSError
    }
}
