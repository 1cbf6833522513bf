"""Captures as people really type them at a meetup, for the draft tests.

Each item: `name` as typed, `talked_about`, `promise`, `notes` (private, never
in a message), `event`, `introducer` (who introduced them, or None).
`topic` tells whether what we talked about reads as a topic a message may use;
`names` is a piece of the promise that the promise's message must still name.
"""

from __future__ import annotations


def item(
    name, talked="", promise="", names="", *, topic=None, notes="", event="", intro=None
):
    return {
        "name": name,
        "talked_about": talked,
        "promise": promise,
        "names": names,
        "topic": bool(talked) if topic is None else topic,
        "notes": notes,
        "event": event,
        "introducer": intro,
    }


CORPUS = [
    item(
        "Lena Vogt",
        "battery storage for energy co-ops",
        "send her our deck",
        "our deck",
        event="Berlin Energy Meetup",
    ),
    item(
        "Jürgen Hoffmann",
        "His startup installs heat pumps in Brandenburg; wants a simpler customer app.",
        "send my portfolio and the heat-pump onboarding case study",
        "my portfolio and the heat-pump onboarding case study",
        topic=False,
    ),
    item(
        "Zoë Martin",
        "Caught her again at the bar — she mentioned a design lead role",
        "intro her to Lena from Solarcoop",
        "Lena from Solarcoop",
        topic=False,
        notes="Caught her again at the bar",
    ),
    item(
        "Chloé Dubois",
        "Rust in embedded devices",
        "review her operator PR",
        "operator PR",
        event="Rust Paris",
    ),
    item(
        "François Leclerc",
        "open source funding",
        "email him the pricing spreadsheet",
        "the pricing spreadsheet",
        intro="Chloé Dubois",
    ),
    item("aisha khan", "", "forward my friend Aisha's CV", "my friend Aisha's CV"),
    item(
        "tom",
        "she hates dark patterns",
        "call him next week about the internship",
        "next week about the internship",
        topic=False,
    ),
    item(
        "Marta Nowak",
        "nervous about it",
        "check if our lab can lend him a GPU",
        "our lab can lend you a GPU",
        topic=False,
    ),
    item("Ben Okafor", "kubernetes operators", "send him our deck", "our deck"),
    item("priya", "accessibility testing", "€€€", "€€€"),
    item("Sven", "", "intro him to Jürgen", "Jürgen", event="PyData Berlin"),
    item(
        "Sophie Weber",
        "Hiring junior devs",
        "connect her with Zoë re: mentoring",
        "Zoë re: mentoring",
    ),
    item(
        "Mehdi", "climate tech VC landscape", "share the slides with him", "the slides"
    ),
    item("Ana Lima", "open maps", "the slides", "the slides", event="FOSSGIS"),
    item(
        "Kenji Sato",
        "量子コンピュータの話",
        "send him the link to the repo",
        "the link to the repo",
        topic=False,
    ),
    item(
        "Olga Ivanova",
        "Обсуждали батареи для кооперативов",
        "отправить презентацию",
        "отправить презентацию",
        topic=False,
    ),
    item(
        "Paul",
        "he is leaving his job soon",
        "add him to the slack",
        "the slack",
        topic=False,
    ),
    item("Nina", "solar on rental flats", "submit the form for her", "the form"),
    item("Lukas Brandt", "", "follow up about the grant", "the grant"),
    item(
        "Clara", "type systems", "meet her for coffee in january", "coffee in january"
    ),
    item(
        "Hugo",
        "they just raised a seed round",
        "invite him to the hackathon",
        "the hackathon",
        topic=False,
    ),
    item("Amélie Rousseau", "urban cycling data", "send it", "here it is"),
    item(
        "Jonas",
        "wants intro to investors",
        "intro him to Marc and send him the memo",
        "Marc",
        topic=False,
    ),
    item("Elif", "", "send the deck to Lena", "the deck to Lena"),
    item(
        "Rafael",
        "compilers",
        "look into whether we can sponsor their meetup",
        "sponsor your meetup",
    ),
    item("Yuki Tanaka", "", "彼にスライドを送る", "彼にスライドを送る"),
    item(
        "Ingrid",
        "Design systems at scale.",
        "i'll send her the figma file",
        "the figma file",
    ),
    item(
        "Omar",
        "seemed tired, talk later",
        "ping him in two weeks",
        "in two weeks",
        topic=False,
    ),
    item(
        "Fatima",
        "mobile banking in Kenya",
        "- send the report\n- call her friday",
        "the report",
    ),
    item(
        "Matteo Rossi",
        "wine and machine learning",
        "lend him my copy of SICP",
        "my copy of SICP",
    ),
    item("Karl", "", "remember to text him the address", "the address"),
    item("Léa", "accessibility", "put her in touch with François", "François"),
    item(
        "George",
        "he's into retro computing, collects amigas",
        "bring him the amiga manual",
        "the amiga manual",
        topic=False,
    ),
    item("Dana", "", "???", "???"),
    item(
        "Julia Schmidt",
        "Building a co-op app",
        "review their pitch deck before friday",
        "pitch deck before friday",
    ),
    item("Ahmed", "public transport apps", "ask Lena about the job for him", "the job"),
    item("Sara", "", "dm her the discount code", "the discount code"),
    item(
        "Viktor",
        "salary negotiations at his company",
        "tell him about the meetup",
        "the meetup",
        topic=False,
    ),
    item(
        "Ines",
        "community building",
        "write a recommendation for her",
        "a recommendation",
    ),
    item(
        "Pierre",
        "startup visas in France",
        "Unterlagen schicken",
        "Unterlagen schicken",
    ),
    item("Grace", "", "send over the recording", "the recording"),
    item(
        "Tariq", "energy co-ops", "recommend him a good accountant", "a good accountant"
    ),
    item(
        "Hannah",
        "her kids are the same age as mine",
        "send her the playground list",
        "the playground list",
        topic=False,
    ),
    item("Max", "self-hosting", "fix the typo on our site", "the typo on our site"),
    item("Emma", "", "find out if she can speak at our meetup", "speak at our meetup"),
    item("Noah", "remote work", "get back to him about the contract", "the contract"),
    item(
        "Mia",
        "Seemed really interested in our API. Asked about pricing twice!",
        "mail her the API docs",
        "the API docs",
        topic=False,
    ),
    item(
        "Liam", "carbon accounting", "sign him up for the newsletter", "the newsletter"
    ),
    item("Eva", "", "2x tickets", "2x tickets"),
    item(
        "Felix",
        "Python packaging",
        "check whether he needs a visa letter",
        "a visa letter",
    ),
    item("Lara", "privacy law", "book a call with her", "a call"),
    item("Oskar", "", "send him our deck; intro him to Sven", "our deck"),
    item("Chiara", "the future of newsletters", "share our media kit", "our media kit"),
    item(
        "Daniel",
        "super arrogant guy tbh",
        "send him the invoice",
        "the invoice",
        topic=False,
    ),
    item(
        "Beatriz",
        "housing co-ops in Lisbon",
        "connect her to our housing team",
        "our housing team",
    ),
    item("Anton", "", "look at his github", "your github"),
    item(
        "Selin", "hardware startups", "buy her a coffee next time", "a coffee next time"
    ),
    item(
        "Theo",
        "drunk, probably won't remember",
        "send him the link",
        "the link",
        topic=False,
    ),
    item(
        "Leonie",
        "Scaling Postgres",
        "organise a lunch with her team",
        "a lunch with your team",
    ),
    item("Ruth", "", "respond to her email!!", "respond to your email"),
    item(
        "Marco",
        "bike repair cafés",
        "send him the slides + the recording",
        "the slides + the recording",
    ),
    item("Camille", "", "remind her about the deadline", "the deadline"),
    item(
        "Jan",
        "embedded Rust",
        "take a look at the mushroom project",
        "the mushroom project",
    ),
    item(
        "Zoe",
        "teaching kids to code",
        "invite her and her cofounder to the demo day",
        "your cofounder to the demo day",
    ),
]
