import ArgumentParser
import Foundation
import VigilFormats

/// `vigil inspect FILE...`: prints what Vigil's format parsers read from each file.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the structure of executables: PE headers, imports, version info, Authenticode signatures.",
        discussion: """
            The format is identified from the file's bytes, never from its name. For PE files Vigil shows
            the headers, sections with entropy, imports (including delay-load), exports, version strings,
            the overlay, the PE checksum (stored and computed) and every WIN_CERTIFICATE with the slack
            bytes after its signature (the 3CX d3dcompiler_47.dll technique). For signed files it computes
            the Authenticode image digest and says whether it matches the signed one.

            For Mach-O files (thin and fat) it shows every slice's load commands, dylibs, rpaths, segments
            with entropy and the code signature (identifier, team, flags, ad-hoc or certificate-signed, CMS
            signer) with a re-check of every signed page's hash. For ICO and PNG files it shows the images
            and chunks and any bytes after the last image or IEND, with their entropy and encoding.

            Without --trust-store, a signature is reported as "signed by X, digest matches" and nothing
            more: no chain of trust is checked. With --trust-store ROOTS.pem, each signer's chain is
            validated against those roots (RFC 5280, at the timestamp's time, else now).

            Exit status: 0 when every file was read, 2 when a file could not be read.

            Examples:
              vigil inspect d3dcompiler_47.dll
              vigil inspect --format json app.exe ffmpeg.dll
              vigil inspect --trust-store roots.pem --format jsonl *.dll
              vigil inspect "Fixture App.app/Contents/MacOS/Fixture App" icon.ico
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, jsonl
    }

    @Argument(help: "Files to inspect.")
    var files: [String]

    @Option(name: .long, help: "Output format: text, json (an array) or jsonl (one object per line).")
    var format: OutputFormat = .text

    @Option(name: .long, help: "PEM file of trusted root certificates for chain validation of signatures.")
    var trustStore: String?

    @Flag(name: .long, help: "In text output, list every imported and exported function instead of the first few.")
    var full = false

    @Option(name: .long, help: "Refuse files larger than this many bytes.")
    var maxSize: Int = Inspection.defaultMaximumSize

    func run() async throws {
        let roots = try trustStore.map { path in
            do { return try TrustStore.load(pemFile: path) } catch {
                throw ValidationError("cannot read trust store \(path): \(error)")
            }
        }
        var results: [InspectionResult] = []
        var failed = false
        for path in files {
            do {
                let bytes = try Inspection.readFile(path, maximumSize: maxSize)
                var result = Inspection.inspect(bytes, path: path)
                if let roots { await Inspection.validateTrust(&result, bytes: bytes, roots: roots) }
                switch format {
                case .text: print(InspectTextRenderer(full: full).render(result))
                case .jsonl: print(try Self.json(result, pretty: false))
                case .json: results.append(result)
                }
            } catch {
                failed = true
                printToStandardError("vigil inspect: \(error)")
            }
        }
        if format == .json { print(try Self.json(results, pretty: true)) }
        if failed { throw ExitCode(VigilExitCode.error.rawValue) }
    }

    static func json(_ value: some Encodable, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
