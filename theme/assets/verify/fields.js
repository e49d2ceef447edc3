// What a credential says, read from the verified JSON itself, so that nothing the signature
// does not cover can be presented as verified.
const asList = (v) => (Array.isArray(v) ? v : v == null ? [] : [v]);

export function subjectOf(doc) {
  const s = doc.credentialSubject;
  return (Array.isArray(s) ? s[0] : s) || {};
}

export function claims(doc) {
  const subject = subjectOf(doc);
  const nameId = asList(subject.identifier).find((i) => i && i.identityType === "name" && !i.hashed);
  const achievement = subject.achievement || {};
  const issuer = typeof doc.issuer === "object" && doc.issuer ? doc.issuer : { id: doc.issuer };
  return {
    earner: nameId ? String(nameId.identityHash) : "",
    badge: String(achievement.name || doc.name || ""),
    achievementId: String(achievement.id || ""),
    issuer: String(issuer.name || issuer.id || ""),
    issuerUrl: String(issuer.url || ""),
    validFrom: String(doc.validFrom || doc.issuanceDate || ""),
    validUntil: String(doc.validUntil || doc.expirationDate || ""),
    evidence: asList(doc.evidence).filter((e) => e && typeof e === "object").map((e) => ({
      url: typeof e.id === "string" ? e.id : "",
      name: String(e.name || ""),
      narrative: String(e.narrative || ""),
    })),
    criteria: String((achievement.criteria && achievement.criteria.narrative) || ""),
  };
}

export function longDate(value) {
  if (!value) return "";
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const d = new Date(zoned);
  if (Number.isNaN(d.getTime())) return value;
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}
