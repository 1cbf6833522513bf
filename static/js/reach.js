// Which way to reach someone a typed text is: "email", "phone", "linkedin",
// "website" or "" (none). A hint for speed only: the server decides, with the
// same rules (contacts.reach_kind); tests/reach_inputs.json keeps them in step.
export function classifyReach(text) {
  const value = (text || "").trim();
  if (!value) return "";
  if (value.includes("@") && !value.includes("/")) return "email";
  if (/^(tel:)?\+?[\p{Nd}\s().\-/]{5,}$/iu.test(value)) return "phone";
  if (/linkedin\.com\//i.test(value)) return "linkedin";
  return /^(https?:\/\/\S|[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)+)/iu.test(value) ? "website" : "";
}
