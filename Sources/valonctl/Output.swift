import Foundation
import ValonKit

/// Where valonctl writes: data to standard output, diagnostics to standard error.
enum Output {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("valonctl: \(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("valonctl: warning: \(message)\n".utf8))
    }

    static func json(_ value: some Encodable) {
        print(AdminJSON.encode(value))
    }

    /// Seconds since the Unix epoch, for handshake ages.
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }
}
