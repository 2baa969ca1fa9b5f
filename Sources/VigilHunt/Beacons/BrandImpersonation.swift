/// Names that borrow a well-known brand without belonging to it: `akamaicontainer.com`,
/// `msedgepackageinfo.com`, `azureonlinestorage.com` — every C2 name of the 2023 3CX compromise was
/// built this way, to pass a glance at a proxy log.
///
/// A name impersonates a brand when one of its labels (the registered label such as `akamaicontainer`
/// in `akamaicontainer.com`, or a subdomain label such as `microsoft` in `microsoft.com.evil.net`)
/// carries the brand's token, while its registered domain is not one the brand owns. The brand's own
/// name under any top-level domain (`google.cz`, `microsoft.de`) counts as owned.
///
/// The registered domain is approximated without the Public Suffix List: the last two labels, or the
/// last three when the top-level domain has two letters and the label before it is a generic
/// second level (`co`, `com`, `net`, `org`, `ac`, `gov`, `edu`, `ne`, `or`). A legitimate domain a brand
/// owns but that is missing from its list below is flagged; the reason only raises the score, it never
/// reports a name on its own.
public enum BrandImpersonation {
    /// A brand: the tokens that betray it and the registered domains it really uses.
    public struct Brand: Sendable {
        public var name: String
        /// Tokens looked for inside labels. `anywhere` tokens match inside a label; the others only at
        /// its start (`office` would otherwise hit `libreoffice`).
        public var tokens: [(token: String, anywhere: Bool)]
        public var owned: Set<String>
    }

    /// Brands whose names malware borrows for C2 and staging hosts. Owned domains are those the
    /// vendors document for their products and CDNs (the same vendor pages as ``KnownServices``, plus
    /// Akamai's and the cloud providers' published service domains).
    public static let brands: [Brand] = [
        Brand(name: "Akamai", tokens: [("akamai", true)], owned: [
            "akamai.com", "akamai.net", "akamaiedge.net", "akamaihd.net", "akamaized.net", "akamaitechnologies.com",
            "akamaistream.net", "akamaiorigin.net", "akamai-staging.net", "akamaiedge-staging.net", "akamaized-staging.net",
        ]),
        // Microsoft and Azure are one brand: Microsoft's own tokens appear in Azure domains and back.
        Brand(name: "Microsoft", tokens: [
            ("microsoft", true), ("msedge", true), ("windowsupdate", true), ("visualstudio", true), ("azure", true), ("onedrive", true),
            ("office", false), ("outlook", false), ("sharepoint", true),
        ], owned: [
            "microsoft.com", "microsoft.net", "microsoftonline.com", "microsoftonline-p.com", "microsoftstore.com", "microsoftazuread-sso.com",
            "microsoftusercontent.com", "microsoftpersonalcontent.com", "microsoftapp.net", "msedge.net", "e-msedge.net", "s-msedge.net",
            "windowsupdate.com", "windows.com", "windows.net", "live.com", "msn.com", "bing.com", "skype.com", "sharepoint.com",
            "visualstudio.com", "office.com", "office.net", "office365.com", "onedrive.com", "outlook.com", "msftconnecttest.com",
            "azure.com", "azure.net", "azureedge.net", "azurewebsites.net", "azure-api.net", "azurefd.net", "azure-dns.com",
            "azure-dns.net", "azure-dns.org", "azure-dns.info", "azurecr.io", "azure-devices.net", "azurestaticapps.net",
            "azurecontainer.io", "azure-mobile.net", "azurehdinsight.net", "azuresynapse.net", "azure-automation.net",
            "azureiotcentral.com", "azuredatabricks.net", "azure-sphere.com", "azurecontainerapps.io", "azureedge-test.net",
            "azurefd-test.net", "azure-test.net",
        ]),
        Brand(name: "Google", tokens: [("google", true), ("gstatic", true)], owned: [
            "google.com", "googleapis.com", "googleusercontent.com", "googlevideo.com", "googlesyndication.com", "googletagmanager.com",
            "google-analytics.com", "googleadservices.com", "googletagservices.com", "googledomains.com", "googlemail.com",
            "googleblog.com", "googlesource.com", "googleoptimize.com", "googlezip.net", "gstatic.com", "google.dev",
        ]),
        Brand(name: "Apple", tokens: [("apple", false), ("icloud", true)], owned: [
            "apple.com", "icloud.com", "apple-dns.net", "apple-cloudkit.com", "apple-livephotoskit.com", "icloud-content.com", "apple.news",
            "appleiphonecell.com",
        ]),
        Brand(name: "Amazon", tokens: [("amazon", false)], owned: [
            "amazon.com", "amazonaws.com", "amazontrust.com", "amazon-adsystem.com", "amazonvideo.com", "media-amazon.com",
            "ssl-images-amazon.com", "amazonses.com",
        ]),
        Brand(name: "Cloudflare", tokens: [("cloudflare", true)], owned: [
            "cloudflare.com", "cloudflare.net", "cloudflare-dns.com", "cloudflareinsights.com", "cloudflarestream.com",
            "cloudflareclient.com", "cloudflare-ipfs.com", "cloudflare-gateway.com",
        ]),
        Brand(name: "GitHub", tokens: [("github", true)], owned: [
            "github.com", "github.io", "githubusercontent.com", "githubassets.com", "githubapp.com", "github.dev",
        ]),
        Brand(name: "Dropbox", tokens: [("dropbox", true)], owned: [
            "dropbox.com", "dropboxapi.com", "dropboxstatic.com", "dropboxusercontent.com", "dropbox-dns.com",
        ]),
        Brand(name: "3CX", tokens: [("3cx", false)], owned: ["3cx.com", "3cx.net", "3cx.us", "3cx.eu"]),
    ]

    /// Second-level labels under two-letter country codes that make the registered domain three labels long.
    static let genericSecondLevels: Set<String> = ["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"]

    /// The registered domain of a name (approximation, see the type's documentation).
    public static func registeredDomain(_ name: String) -> String {
        let labels = name.lowercased().split(separator: ".", omittingEmptySubsequences: true)
        guard labels.count > 2 else { return labels.joined(separator: ".") }
        let tld = labels[labels.count - 1], second = labels[labels.count - 2]
        let take = tld.count == 2 && genericSecondLevels.contains(String(second)) ? 3 : 2
        return labels.suffix(take).joined(separator: ".")
    }

    /// A brand the name pretends to belong to, and the label that betrays it.
    public struct Match: Sendable, Hashable {
        public var brand: String
        public var label: String
        public var registeredDomain: String
    }

    /// The brand `name` impersonates, if any. Addresses and single labels never match.
    public static func check(_ name: String, brands: [Brand] = brands) -> Match? {
        let lower = name.lowercased()
        guard lower.contains("."), IPAddress(lower) == nil else { return nil }
        let registered = registeredDomain(lower)
        let registeredLabel = registered.split(separator: ".").first.map(String.init) ?? registered
        let allLabels = lower.split(separator: ".").map(String.init)
        // Labels to look at: every label before the public suffix part of the registered domain.
        let suffixLabels = registered.split(separator: ".").count - 1
        let labels = allLabels.dropLast(suffixLabels)
        for brand in brands {
            if brand.owned.contains(registered) { continue }
            // The brand's own name under any top-level domain (google.cz, microsoft.de).
            if brand.tokens.contains(where: { $0.token == registeredLabel }) { continue }
            for (i, label) in labels.enumerated() {
                let isRegistered = i == labels.count - 1
                // Subdomain labels are checked for the distinctive tokens only (`office.example.edu` is fine).
                for (token, anywhere) in brand.tokens where anywhere ? label.contains(token) : (isRegistered && label.hasPrefix(token)) {
                    return Match(brand: brand.name, label: label, registeredDomain: registered)
                }
            }
        }
        return nil
    }
}
