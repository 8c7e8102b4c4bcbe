"""Scene domains of the navigation world: the room types each kind of building has, and what stands in them.

Continual VLN studies agents whose deployment moves between kinds of buildings (homes, then
offices, then hospitals…); each domain here has its own rooms and landmarks, with a few shared
ones (hallways, stairs, doors), as real buildings do. The first room type is the entrance.
"""

from __future__ import annotations

DOMAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "home": {
        "entryway": ("coat rack", "shoe cabinet", "front door"),
        "living room": ("sofa", "television", "fireplace", "armchair", "bookshelf"),
        "kitchen": ("fridge", "stove", "kitchen island", "microwave", "sink"),
        "bedroom": ("bed", "wardrobe", "nightstand", "dresser"),
        "bathroom": ("bathtub", "toilet", "washbasin", "towel rack"),
        "hallway": ("painting", "plant", "radiator"),
        "dining room": ("dining table", "chandelier", "sideboard"),
    },
    "office": {
        "reception": ("front desk", "waiting chairs", "logo wall"),
        "open office": ("desks", "printer", "whiteboard", "water cooler"),
        "meeting room": ("conference table", "projector screen", "phone"),
        "break room": ("coffee machine", "vending machine", "fridge"),
        "corridor": ("fire extinguisher", "plant", "notice board"),
        "server room": ("server racks", "air conditioner"),
        "manager office": ("executive desk", "filing cabinet", "bookshelf"),
    },
    "hospital": {
        "lobby": ("information desk", "wheelchairs", "revolving door"),
        "waiting area": ("waiting chairs", "television", "magazine rack"),
        "ward": ("hospital beds", "curtains", "monitors"),
        "nurse station": ("counter", "medicine cart", "computers"),
        "corridor": ("hand sanitizer", "stretcher", "signs"),
        "pharmacy": ("shelves of medicine", "pharmacy counter"),
        "operating room": ("operating table", "surgical lights"),
    },
    "school": {
        "entrance hall": ("trophy case", "notice board", "double doors"),
        "classroom": ("blackboard", "student desks", "globe", "teacher desk"),
        "library": ("bookshelves", "reading tables", "librarian desk"),
        "gym": ("basketball hoop", "benches", "climbing wall"),
        "cafeteria": ("lunch counter", "long tables", "trash bins"),
        "hallway": ("lockers", "water fountain", "fire alarm"),
        "science lab": ("lab benches", "microscopes", "fume hood"),
    },
    "mall": {
        "atrium": ("fountain", "escalator", "directory map"),
        "food court": ("food stalls", "tables", "trash bins"),
        "clothing store": ("clothing racks", "fitting rooms", "mannequins"),
        "electronics store": ("phone display", "televisions", "checkout counter"),
        "walkway": ("benches", "plant", "kiosk"),
        "restroom": ("washbasin", "hand dryer", "mirror"),
        "cinema lobby": ("ticket counter", "popcorn stand", "movie posters"),
    },
    "hotel": {
        "lobby": ("reception desk", "luggage cart", "armchairs"),
        "guest room": ("bed", "minibar", "desk", "window"),
        "restaurant": ("buffet", "tables", "bar counter"),
        "corridor": ("room signs", "ice machine", "carpet runner"),
        "spa": ("massage table", "pool", "lounge chairs"),
        "elevator hall": ("elevators", "mirror", "plant"),
        "conference hall": ("stage", "rows of chairs", "podium"),
    },
    "museum": {
        "foyer": ("ticket desk", "cloakroom", "floor map"),
        "gallery": ("paintings", "bench", "sculpture"),
        "hall of fossils": ("dinosaur skeleton", "display cases"),
        "gift shop": ("souvenir shelves", "cash register"),
        "corridor": ("signs", "fire extinguisher", "plant"),
        "cafe": ("coffee counter", "small tables", "pastry case"),
        "archive": ("filing shelves", "reading lamp"),
    },
    "airport": {
        "check-in hall": ("check-in counters", "luggage scale", "departure board"),
        "security": ("scanner", "trays", "metal detector"),
        "gate": ("gate desk", "rows of seats", "window"),
        "duty free": ("perfume shelves", "liquor display", "checkout"),
        "lounge": ("armchairs", "buffet", "newspapers"),
        "concourse": ("moving walkway", "information screens", "restrooms sign"),
        "baggage claim": ("carousel", "luggage carts"),
    },
}

DOMAIN_NAMES: tuple[str, ...] = tuple(DOMAINS)
