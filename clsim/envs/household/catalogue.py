"""ALFRED's object and receptacle types with the affordances its seven task types use.

Names follow ALFRED's types, lower-cased (``CounterTop`` -> ``countertop``). Sizes decide
what fits where: 1 fits in movable receptacles and drawers, 2 on shelves and in cabinets,
3 only on furniture.
"""

from __future__ import annotations

from dataclasses import dataclass

KITCHEN, LIVING_ROOM, BEDROOM, BATHROOM = "kitchen", "living_room", "bedroom", "bathroom"
SCENE_TYPES = (KITCHEN, LIVING_ROOM, BEDROOM, BATHROOM)

TASK_TYPES = (
    "pick_and_place_simple",
    "pick_two_obj_and_place",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_and_place_with_movable_recep",
)
# Where each task type occurs, as in ALFRED: heat/cool need kitchen appliances, clean a sink,
# look a lamp; bathrooms have clean, two_obj and simple.
TASK_SCENES: dict[str, tuple[str, ...]] = {
    "pick_and_place_simple": SCENE_TYPES,
    "pick_two_obj_and_place": SCENE_TYPES,
    "look_at_obj_in_light": (LIVING_ROOM, BEDROOM),
    "pick_clean_then_place_in_recep": (KITCHEN, BATHROOM),
    "pick_heat_then_place_in_recep": (KITCHEN,),
    "pick_cool_then_place_in_recep": (KITCHEN,),
    "pick_and_place_with_movable_recep": (KITCHEN, LIVING_ROOM, BEDROOM),
}

# Camera horizons, as ALFRED's LookUp/LookDown change it in 30 degree steps.
UP, LEVEL, DOWN = -30, 0, 30


@dataclass(frozen=True)
class ObjectType:
    name: str
    scenes: tuple[str, ...]
    size: int = 1
    sliceable: bool = False
    heatable: bool = False
    coolable: bool = False
    cleanable: bool = False
    knife: bool = False
    container: bool = False  # a movable receptacle (bowl, box, …)


@dataclass(frozen=True)
class ReceptacleType:
    name: str
    height: int
    max_size: int = 3
    openable: bool = False
    heats: bool = False  # microwave: heats its contents when toggled on while closed
    cools: bool = False  # fridge: cools its contents when closed
    sink: bool = False  # has a faucet that cleans its contents when on
    only: tuple[str, ...] = ()  # if set, the object types it accepts
    island: bool = False  # stands in the middle of the room rather than at a wall
    lamp: bool = False  # a floor lamp: a toggleable fixture that holds nothing

    def accepts(self, obj: ObjectType) -> bool:
        if self.lamp:
            return False
        if self.only:
            return obj.name in self.only
        if self.heats:
            return obj.heatable and obj.size <= 2
        if self.sink:
            return obj.cleanable and obj.size <= 2
        return obj.size <= self.max_size


K, L, BE, BA = KITCHEN, LIVING_ROOM, BEDROOM, BATHROOM
FOOD = dict(heatable=True, coolable=True, cleanable=True)
OBJECT_TYPES: dict[str, ObjectType] = {
    o.name: o
    for o in [
        ObjectType("apple", (K,), sliceable=True, **FOOD),
        ObjectType("tomato", (K,), sliceable=True, **FOOD),
        ObjectType("potato", (K,), sliceable=True, **FOOD),
        ObjectType("lettuce", (K,), size=2, sliceable=True, coolable=True, cleanable=True),
        ObjectType("bread", (K,), size=2, sliceable=True, heatable=True, coolable=True),
        ObjectType("egg", (K,), heatable=True, coolable=True),
        ObjectType("mug", (K, L), container=True, **FOOD),
        ObjectType("cup", (K,), container=True, **FOOD),
        ObjectType("bowl", (K, L), size=2, container=True, **FOOD),
        ObjectType("plate", (K, L), size=2, container=True, **FOOD),
        ObjectType("pan", (K,), size=2, container=True, coolable=True, cleanable=True),
        ObjectType("pot", (K,), size=2, container=True, coolable=True, cleanable=True),
        ObjectType("knife", (K,), knife=True, cleanable=True),
        ObjectType("butterknife", (K,), knife=True, cleanable=True),
        ObjectType("fork", (K,), cleanable=True),
        ObjectType("spoon", (K,), cleanable=True),
        ObjectType("spatula", (K,), cleanable=True),
        ObjectType("ladle", (K,), cleanable=True),
        ObjectType("saltshaker", (K,)),
        ObjectType("peppershaker", (K,)),
        ObjectType("winebottle", (K,), size=2, coolable=True),
        ObjectType("dishsponge", (K, BA), cleanable=True),
        ObjectType("soapbar", (BA,), cleanable=True),
        ObjectType("cloth", (BA, BE), cleanable=True),
        ObjectType("handtowel", (BA,)),
        ObjectType("toiletpaper", (BA,)),
        ObjectType("spraybottle", (BA,)),
        ObjectType("soapbottle", (BA, K)),
        ObjectType("candle", (BA, L)),
        ObjectType("tissuebox", (BA, L, BE)),
        ObjectType("book", (L, BE)),
        ObjectType("cellphone", (L, BE)),
        ObjectType("keychain", (L, BE)),
        ObjectType("creditcard", (L, BE)),
        ObjectType("pen", (L, BE)),
        ObjectType("pencil", (L, BE)),
        ObjectType("remotecontrol", (L, BE)),
        ObjectType("watch", (L, BE)),
        ObjectType("cd", (L, BE)),
        ObjectType("alarmclock", (BE,), size=2),
        ObjectType("vase", (L,), size=2),
        ObjectType("statue", (L,), size=2),
        ObjectType("newspaper", (L,), size=2),
        ObjectType("box", (L, BE), size=2, container=True),
        ObjectType("laptop", (L, BE), size=3),
        ObjectType("pillow", (L, BE), size=3),
        ObjectType("baseballbat", (BE,), size=3),
        ObjectType("basketball", (BE,), size=3),
        ObjectType("teddybear", (BE,), size=3),
        ObjectType("tennisracket", (BE,), size=3),
    ]
}

RECEPTACLE_TYPES: dict[str, ReceptacleType] = {
    r.name: r
    for r in [
        ReceptacleType("countertop", LEVEL),
        ReceptacleType("diningtable", LEVEL, island=True),
        ReceptacleType("coffeetable", DOWN, island=True),
        ReceptacleType("sidetable", LEVEL),
        ReceptacleType("desk", LEVEL),
        ReceptacleType("dresser", LEVEL),
        ReceptacleType("tvstand", LEVEL),
        ReceptacleType("shelf", UP, max_size=2),
        ReceptacleType("cabinet", DOWN, max_size=2, openable=True),
        ReceptacleType("drawer", DOWN, max_size=1, openable=True),
        ReceptacleType("safe", DOWN, max_size=1, openable=True),
        ReceptacleType("fridge", LEVEL, max_size=2, openable=True, cools=True),
        ReceptacleType("microwave", UP, openable=True, heats=True),
        ReceptacleType("sinkbasin", LEVEL, sink=True),
        ReceptacleType("bathtubbasin", DOWN, max_size=1),
        ReceptacleType("garbagecan", DOWN, max_size=1),
        ReceptacleType("toilet", DOWN, max_size=1),
        ReceptacleType("coffeemachine", LEVEL, only=("mug", "cup")),
        ReceptacleType("towelholder", LEVEL, only=("handtowel", "cloth")),
        ReceptacleType("toiletpaperhanger", LEVEL, only=("toiletpaper",)),
        ReceptacleType("bed", DOWN, island=True),
        ReceptacleType("sofa", DOWN),
        ReceptacleType("armchair", DOWN),
        ReceptacleType("ottoman", DOWN, island=True),
        ReceptacleType("floorlamp", LEVEL, lamp=True),
    ]
}

# Desk lamps stand on these furniture types; toggling one needs that furniture in reach.
DESKLAMP_HOSTS = ("desk", "sidetable", "dresser")
LAMP_TYPES = ("desklamp", "floorlamp")


@dataclass(frozen=True)
class SceneSpec:
    """How layouts of one scene type are drawn: room size and (type, min, max) counts."""

    width: tuple[int, int]
    depth: tuple[int, int]
    stations: tuple[tuple[str, int, int], ...]
    desklamps: tuple[int, int] = (0, 0)


SCENE_SPECS: dict[str, SceneSpec] = {
    KITCHEN: SceneSpec(
        (4, 6), (4, 6),
        (("countertop", 2, 3), ("fridge", 1, 1), ("microwave", 1, 1), ("sinkbasin", 1, 1),
         ("cabinet", 1, 3), ("drawer", 1, 2), ("garbagecan", 1, 1), ("diningtable", 0, 1),
         ("shelf", 0, 1), ("coffeemachine", 0, 1)),
    ),
    LIVING_ROOM: SceneSpec(
        (4, 6), (4, 6),
        (("sofa", 1, 1), ("armchair", 0, 1), ("coffeetable", 1, 1), ("sidetable", 1, 2),
         ("tvstand", 1, 1), ("shelf", 1, 2), ("drawer", 0, 2), ("dresser", 0, 1),
         ("garbagecan", 1, 1), ("floorlamp", 0, 1)),
        desklamps=(1, 1),
    ),
    BEDROOM: SceneSpec(
        (4, 6), (4, 6),
        (("bed", 1, 1), ("desk", 1, 1), ("sidetable", 1, 2), ("dresser", 1, 1), ("drawer", 1, 2),
         ("shelf", 1, 2), ("garbagecan", 1, 1), ("armchair", 0, 1), ("safe", 0, 1),
         ("floorlamp", 0, 1)),
        desklamps=(1, 1),
    ),
    BATHROOM: SceneSpec(
        (3, 5), (3, 5),
        (("toilet", 1, 1), ("sinkbasin", 1, 2), ("bathtubbasin", 0, 1), ("countertop", 1, 1),
         ("cabinet", 1, 2), ("drawer", 0, 2), ("towelholder", 1, 1), ("toiletpaperhanger", 1, 1),
         ("garbagecan", 1, 1), ("shelf", 0, 1)),
    ),
}

# The words the world uses for a type, in instructions, observations and actions alike ("desk lamp 1"), so a
# policy can match what an instruction names with what it sees; the keys are ALFRED's type names.
SPOKEN = {
    "countertop": "counter", "diningtable": "dining table", "coffeetable": "coffee table",
    "sidetable": "side table", "tvstand": "tv stand", "sinkbasin": "sink", "bathtubbasin": "bathtub",
    "garbagecan": "trash can", "coffeemachine": "coffee machine", "towelholder": "towel holder",
    "toiletpaperhanger": "toilet paper hanger", "floorlamp": "floor lamp", "desklamp": "desk lamp",
    "butterknife": "butter knife", "saltshaker": "salt shaker", "peppershaker": "pepper shaker",
    "winebottle": "wine bottle", "dishsponge": "dish sponge", "soapbar": "soap bar",
    "handtowel": "hand towel", "toiletpaper": "toilet paper", "spraybottle": "spray bottle",
    "soapbottle": "soap bottle", "tissuebox": "tissue box", "cellphone": "cell phone",
    "creditcard": "credit card", "remotecontrol": "remote control", "alarmclock": "alarm clock",
    "baseballbat": "baseball bat", "teddybear": "teddy bear", "tennisracket": "tennis racket",
}


_KIND_BY_WORDS = {words: kind for kind, words in SPOKEN.items()}


def spoken(name: str) -> str:
    """The words for ALFRED type `name` ("desklamp" -> "desk lamp")."""
    return SPOKEN.get(name, name)


def instance_name(kind: str, number: int) -> str:
    """The name of the `number`-th instance of type `kind` in a scene: "desk lamp 1"."""
    return f"{spoken(kind)} {number}"


def kind_of(name: str) -> str:
    """The ALFRED type of an instance name: "desk lamp 1" -> "desklamp"."""
    words = name.rpartition(" ")[0]
    return _KIND_BY_WORDS.get(words, words)
