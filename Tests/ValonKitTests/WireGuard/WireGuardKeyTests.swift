import Foundation
import Testing
@testable import ValonKit

@Suite("WireGuard keys", .tags(.process), .timeLimit(.minutes(10)))
struct WireGuardKeyProcessTests {
    // RFC 7748 §6.1: Alice's private and public keys.
    static let rfcPrivateHex = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    static let rfcPublicHex = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"

    @Test("RFC 7748 test vector: public key derivation")
    func rfc7748Vector() throws {
        let privateKey = try WireGuardKey(hex: Self.rfcPrivateHex)
        #expect(try privateKey.publicKey().hex == Self.rfcPublicHex)
    }

    @Test("base64, hex and base32 label round-trip", arguments: 0..<20)
    func roundTrips(_ seed: Int) throws {
        let key = WireGuardKey.generatePrivate()
        #expect(try WireGuardKey(base64: key.base64) == key)
        #expect(try WireGuardKey(hex: key.hex) == key)
        #expect(try WireGuardKey(hex: key.hex.uppercased()) == key)
        #expect(try WireGuardKey(dnsLabel: key.dnsLabel) == key)
        #expect(try WireGuardKey(dnsLabel: key.dnsLabel.uppercased()) == key)
        #expect(key.base64.count == 44)
        #expect(key.hex.count == 64)
        #expect(key.dnsLabel.count == 52)
        #expect(key.dnsLabel.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
    }

    @Test("base32 label of known bytes matches RFC 4648 base32 (coreutils base32 as oracle)")
    func base32AgainstCoreutils() throws {
        let key = try WireGuardKey(hex: Self.rfcPublicHex)
        let oracle = try Command.check(["sh", "-c", "printf '%s' \(Self.rfcPublicHex) | xxd -r -p | base32 -w0"])
        #expect(key.dnsLabel == oracle.replacingOccurrences(of: "=", with: "").lowercased())
    }

    @Test("keys with '/' and '+' survive base64")
    func slashAndPlus() throws {
        let bytes = [UInt8](repeating: 0xff, count: 32)  // "////…/w=" in base64
        let key = try WireGuardKey(bytes: bytes)
        #expect(key.base64.contains("/"))
        #expect(try WireGuardKey(base64: key.base64) == key)
        let plus = try WireGuardKey(bytes: [UInt8](repeating: 0xfb, count: 32))
        #expect(plus.base64.contains("+"))
        #expect(try WireGuardKey(base64: plus.base64) == plus)
    }

    struct BadText: CustomTestStringConvertible, Sendable {
        var text: String
        var code: WireGuardKeyError.Code
        var testDescription: String { "\(code): \(text.prefix(20))" }
    }

    @Test("malformed base64 is refused with a typed error", arguments: [
        BadText(text: "", code: .invalidBase64),
        BadText(text: "abc=", code: .invalidBase64),
        BadText(text: String(repeating: "A", count: 44), code: .invalidBase64),  // no padding
        BadText(text: String(repeating: "A", count: 42) + "==", code: .invalidBase64),  // 31 bytes
        BadText(text: String(repeating: "A", count: 43) + "=" + "A", code: .invalidBase64),
        BadText(text: String(repeating: "*", count: 43) + "=", code: .invalidBase64),
        BadText(text: String(repeating: "A", count: 42) + "B=", code: .invalidBase64),  // non-canonical last bits
    ])
    func badBase64(_ bad: BadText) {
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(base64: bad.text) }
        do { _ = try WireGuardKey(base64: bad.text) } catch { #expect(error.code == bad.code) }
    }

    @Test("malformed hex and base32 are refused")
    func badHexAndBase32() {
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(hex: String(repeating: "0", count: 63)) }
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(hex: String(repeating: "g", count: 64)) }
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(dnsLabel: String(repeating: "a", count: 51)) }
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(dnsLabel: String(repeating: "1", count: 52)) }
        // 52 × 5 bits carry 4 spare bits, which must be zero.
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(dnsLabel: String(repeating: "a", count: 51) + "b") }
        #expect(throws: WireGuardKeyError.self) { try WireGuardKey(bytes: [1, 2, 3]) }
    }

    @Test("generated private keys are clamped as wg genkey clamps them")
    func clamping() {
        for _ in 0..<50 {
            let key = WireGuardKey.generatePrivate()
            #expect(key.bytes[0] & 7 == 0)
            #expect(key.bytes[31] & 0x80 == 0)
            #expect(key.bytes[31] & 0x40 == 0x40)
        }
    }

    @Test("wg pubkey agrees with our derivation, both ways")
    func againstWireGuardTools() throws {
        for _ in 0..<10 {
            // wg genkey → our pubkey vs wg pubkey
            let theirs = try Command.check(["wg", "genkey"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let expected = try Command.check(["wg", "pubkey"], input: theirs + "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try WireGuardKey(base64: theirs).publicKey().base64 == expected)
            // our genkey → wg pubkey vs our pubkey
            let ours = WireGuardKey.generatePrivate()
            let fromWG = try Command.check(["wg", "pubkey"], input: ours.base64 + "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try ours.publicKey().base64 == fromWG)
        }
    }

    @Test("key files: written 0600, read back, insecure files refused")
    func keyFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("valon-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wg0.key").path

        let key = WireGuardKey.generatePrivate()
        try WireGuardKeyFile.write(key, to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try WireGuardKeyFile.read(from: path) == key)
        // wg reads what we wrote.
        let wgPublic = try Command.check(["sh", "-c", "wg pubkey < \(path)"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(wgPublic == (try key.publicKey().base64))

        // Overwriting keeps 0600 and replaces the contents.
        let second = WireGuardKey.generatePrivate()
        try WireGuardKeyFile.write(second, to: path)
        #expect(try WireGuardKeyFile.read(from: path) == second)

        for insecure in [0o644, 0o640, 0o604, 0o660, 0o606] {
            try FileManager.default.setAttributes([.posixPermissions: insecure], ofItemAtPath: path)
            do {
                _ = try WireGuardKeyFile.read(from: path)
                Issue.record("mode \(String(insecure, radix: 8)) was accepted")
            } catch {
                #expect(error.code == .insecurePermissions)
                #expect(error.message.contains(path))
            }
        }

        do {
            _ = try WireGuardKeyFile.read(from: directory.appendingPathComponent("missing.key").path)
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.code == .fileAccess)
            #expect(error.cause?.errno == ENOENT)
        }

        // A file holding garbage names the file.
        let garbage = directory.appendingPathComponent("garbage.key").path
        _ = FileManager.default.createFile(atPath: garbage, contents: Data("not a key\n".utf8), attributes: [.posixPermissions: 0o600])
        do {
            _ = try WireGuardKeyFile.read(from: garbage)
            Issue.record("garbage was accepted")
        } catch {
            #expect(error.code == .invalidBase64)
            #expect(error.message.contains(garbage))
        }
    }
}
