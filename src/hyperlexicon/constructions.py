"""The constructions of the decoding styles, per language, style, role and register.

Data only: the notation is described in ``phrasing.py``. A role is one kind of message a
style's planner sends (``begin``: the first thing of the story; ``change``: an arrow;
``tension``: what pulls against the centre ...). Each register has its own constructions for
the roles that carry a text's voice, so a register changes the words and not only a
connective; the shared list (``"*"``) backs a role up, and holds at least one construction
that keeps every phrase in the nominative, for glosses that cannot be inflected.

Slots: A, B the things being told (B the next phase), P the thing told just before, C the
centre (essay) or a connective's own words (narrative), O the others, T all of them, S
another name, K a shared meaning, W the whole scene's name, X an example, N a definition,
Q a phrase of the lexicon quoted whole.

The words of these constructions are kept clear of the seed lexicon's glosses (a test checks
it): a construction must not bring in a meaning the scene does not hold, and the narrative is
encoded again by the stability check.
"""

from __future__ import annotations

Bank = dict[str, dict[str, dict[str, list[str]]]]

# --- Russian ------------------------------------------------------------------------------------

RU: Bank = {
    "narrative": {
        "begin": {
            "emotional": [
                "Сначала {A|подступать} {A}.",
                "Всё начинается с {A:gent}: {A@} {A|подкрадываться} исподволь.",
                "{A~первый:ablt} {A|накатывать} {A}.",
                "Сперва {A|нахлынуть:past} {A} — внезапно, без предупреждения.",
            ],
            "logical": [
                "Всё начинается с {A:gent}.",
                "Исходное условие — {A}.",
                "Сначала дано одно: {A}.",
                "Предположим сначала {A:accs}.",
            ],
            "poetic": [
                "Сначала {A|проступать} {A}, едва {A~различимый}.",
                "Прежде всего {A|брезжить} {A}.",
                "Всё начинается с {A:gent}, как песня — с одной ноты.",
                "Из глубины {A|подниматься} {A}.",
            ],
            "philosophical": [
                "Прежде всего есть {A}.",
                "Сначала {A|являть} себя {A}.",
                "{A~первый:ablt} здесь {A|являться} {A}.",
                "Всё вырастает из {A:gent}.",
            ],
            "technical": [
                "Процесс начинается с {A:gent}.",
                "Исходные данные — {A}.",
                "{A~первый:ablt} {A|подаваться} {A}.",
                "Сначала в систему {A|поступать} {A}.",
            ],
            "*": ["Сначала — {A}."],
        },
        "next": {
            "emotional": [
                "За {P@ablt} {A|подступать} {A}.",
                "Затем {A|приходить} {A}, и от {A@gent} никуда не деться.",
                "Потом {A|накатывать} {A} — сильнее, чем {P}.",
                "И тут же {A|вспыхивать} {A}.",
            ],
            "logical": [
                "Далее к {P@datv} {A|добавляться} {A}.",
                "{P} {P|влечь} за собой {A:accs}.",
                "Следующий элемент — {A}.",
                "Это влечёт за собой {A:accs}.",
            ],
            "poetic": [
                "За {P@ablt} {A|тянуться} {A}, как эхо.",
                "Затем {A|приходить} {A}, и {P} {P|стихать} в {A@loct}.",
                "Из {P@gent} {A|выходить} {A}.",
                "Рядом тихо {A|раскрываться} {A}.",
            ],
            "philosophical": [
                "Вслед за {P@ablt} {A|являться} {A}.",
                "{P} {P|призывать} {A:accs}.",
                "{P} {P|открывать} место для {A:gent}.",
                "{P} не {P|мочь} обойтись без {A:gent}.",
            ],
            "technical": [
                "На следующем этапе {A|добавляться} {A}.",
                "Далее {A|подключаться} {A}.",
                "{P} {P|передавать} сигнал {A:datv}.",
                "Затем в работу {A|включаться} {A}.",
            ],
            "*": ["Потом — {A}."],
        },
        "pair": {
            "emotional": [
                "Потом {A|накатывать} {A} — почти разом.",
                "И вот уже {A|подступать} {A}.",
                "Затем, не давая опомниться, {A|приходить} {A}.",
            ],
            "logical": [
                "Далее {A|добавляться} {A}.",
                "К этому {A|присоединяться} {A}.",
                "Затем учитываются {A}.",
            ],
            "poetic": [
                "Затем {A|проступать} {A}, одно сквозь другое.",
                "И тогда {A|подниматься} {A}.",
                "Рядом {A|раскрываться} {A}.",
            ],
            "philosophical": [
                "Затем {A|являться} {A}.",
                "Затем в игру {A|вступать} {A}.",
                "Вслед за этим {A|обнаруживаться} {A}.",
            ],
            "technical": [
                "Затем {A|подключаться} {A}.",
                "Параллельно {A|поступать} {A}.",
                "Далее в работу {A|включаться} {A}.",
            ],
            "*": ["Затем — {A}."],
        },
        "last": {
            "emotional": [
                "{A~последний:ablt} {A|накатывать} {A}, и всё замирает.",
                "И наконец {A|приходить} {A} — и уже не {A|отпускать}.",
                "А в конце {A|оставаться} одно: {A}.",
                "Под конец {A|нахлынуть:past} {A}, и всё обрывается.",
            ],
            "logical": [
                "{A|завершать} ряд {A}.",
                "Последний элемент — {A}.",
                "И наконец {A|замыкать} цепочку {A}.",
                "В конце рассуждения стоит {A}.",
            ],
            "poetic": [
                "И наконец {A|проступать} {A}.",
                "{A~последний:ablt} {A|приходить} {A}, и всё смолкает.",
                "А в самом конце {A|светиться} {A}.",
                "И на краю всего {A|оставаться} {A}.",
            ],
            "philosophical": [
                "Завершается всё {A:ablt}.",
                "И в конце {A|являться} {A} — как итог.",
                "{A~последний:ablt} здесь {A|звучать} {A}.",
                "Всё приходит к {A:datv}.",
            ],
            "technical": [
                "На последнем этапе {A|добавляться} {A}.",
                "{A|замыкать} цепочку {A}.",
                "Последний компонент — {A}.",
                "Завершает сборку {A}.",
            ],
            "*": ["И наконец — {A}."],
        },
        "change": {
            "emotional": [
                "И вдруг {P} {P|оборачиваться} {B:ablt}.",
                "Но и {P@} не {P|длиться} вечно: {P@} {P|оборачиваться} {B:ablt}.",
                "Но {P} не {P|длиться} вечно: {P@} {P|переплавляться} в {B:accs}.",
                "И тогда из {P:gent} {B|рождаться} {B}.",
            ],
            "logical": [
                "{P} {P|влечь} за собой {B:accs}.",
                "{P} {P|переходить} в {B:accs}.",
                "{P@} {P|влечь} за собой {B:accs}.",
                "Отсюда — {B}.",
            ],
            "poetic": [
                "{P} {P|стать:past} {B:ablt}.",
                "Потом {P@} {P|стать:past} {B:ablt}.",
                "И {P} {P|становиться} {B:ablt}.",
                "Понемногу {P} {P|обращаться} в {B:accs}.",
            ],
            "philosophical": [
                "{P} {P|находить} своё продолжение в {B:loct}.",
                "{P@} {P|находить} своё продолжение в {B:loct}.",
                "{P} {P|переходить} в {B:accs} — и в этом {P@poss} суть.",
                "Из {P:gent} {B|рождаться} {B}.",
            ],
            "technical": [
                "На выходе из {P:gent} {B|получаться} {B}.",
                "На выходе из {P@gent} {B|получаться} {B}.",
                "{P} {P|давать} на выходе {B:accs}.",
                "Результат — {B}.",
            ],
            "*": ["А потом — {B}."],
        },
        "cause": {
            "*": [
                "{A} {A|вбирать} в себя {P:accs}.",
                "В {A:loct} {P|продолжать} жить {P}.",
                "{P} {P|оставаться} внутри {A:gent}.",
            ],
        },
        "kin": {
            "*": [
                "{A} {A|приходить} вместе с {P:ablt}: их роднит {K}.",
                "У {A:gent} и {P:gent} одно общее — {K}.",
                "В {A:loct}, как и в {P:loct}, {K|звучать} {K}.",
            ],
        },
        "part": {
            "*": [
                "{A} {A|жить} внутри {P:gent}.",
                "{P} {P|держать} в себе {A:accs}.",
                "{A} {A|входить} в {P:accs}.",
            ],
        },
        "because": {
            "*": ["{A} {A|возникать}, {C} есть {B}.", "{A} — {C} рядом {B}."],
        },
        "therefore": {
            "*": [
                "Есть {A}; {C}, появится и {B}.",
                "{A} уже здесь, {C}, {B|приходить} и {B}.",
            ],
        },
        "close": {
            "emotional": ["Так {W|ощущаться} {W}.", "Это и есть {W}.", "Вот что такое {W}."],
            "logical": ["В сумме это даёт {W:accs}.", "Итог — {W}.", "Вместе это и есть {W}."],
            "poetic": [
                "Так {W|рождаться} {W}.",
                "Из этого и {W~сотканный:short} {W}.",
                "Так и складывается {W}.",
            ],
            "philosophical": [
                "В этом и {W|состоять} {W}.",
                "Так {W|являть} себя {W}.",
                "Так {W|обретать} себя {W}.",
            ],
            "technical": ["На выходе — {W}.", "Результат сборки — {W}.", "Собранное целое — {W}."],
            "*": ["Вместе это — {W}."],
        },
        "alias": {
            "*": ["{A@accs} можно назвать и иначе — {S}.", "Иначе {A@accs} зовут {S:ablt}."],
        },
        "linger": {
            "emotional": ["И {A@} уже не {A|отпускать}.", "{A@} {A|держать} крепко и долго."],
            "logical": ["{A@} {A|оставаться} неизменным.", "Больше ничего не требуется."],
            "poetic": ["{A@} {A|стоять}, не меняясь.", "И {A@} {A|оставаться} надолго."],
            "philosophical": ["{A@} {A|пребывать} в себе.", "{A@} {A|оставаться} собой."],
            "technical": ["{A@} {A|работать} без сбоев.", "Состояние устойчиво."],
            "*": ["{A@} {A|оставаться}."],
        },
    },
    "essay": {
        "thesis": {
            "emotional": [
                "Сильнее всего в этой сцене {C|звучать} {C}.",
                "Всё здесь держится на {C:loct}.",
                "Сердцевина этой сцены — {C}.",
                "Больнее и ярче всего здесь {C}.",
            ],
            "logical": [
                "Главный элемент сцены — {C}.",
                "Рассмотрим сначала {C:accs}: на {C@loct} держится вся сцена.",
                "Центральное понятие здесь — {C}.",
                "Всё в этой сцене определяется {C:ablt}.",
            ],
            "poetic": [
                "В самой глубине этой сцены — {C}.",
                "Сцена собрана вокруг {C:gent}, как круги — вокруг брошенного камня.",
                "Всё здесь светится отражённым сиянием {C:gent}.",
                "Эта сцена написана {C:ablt}, как картина — одной краской.",
            ],
            "philosophical": [
                "Средоточие этой сцены — {C}.",
                "Всё в этой сцене стягивается к {C:datv}.",
                "Сущность этой сцены — {C}.",
                "Понять эту сцену — значит понять {C:accs}.",
            ],
            "technical": [
                "Ядро сцены — {C}.",
                "Сцена построена вокруг {C:gent}.",
                "Базовый элемент — {C}.",
                "Основная нагрузка здесь приходится на {C:accs}.",
            ],
        },
        "parts": {
            "emotional": [
                "В {C@loct} {P~смешанный:short} {P}.",
                "{C@} {C|соединять} в себе {P:accs}.",
            ],
            "logical": ["{C} {C|складываться} из {P:gent}.", "{C} {C|включать} {P:accs}."],
            "poetic": ["В {C@loct} {P|сходиться} {P}.", "{C} {C|сплетать} в себе {P:accs}."],
            "philosophical": [
                "{C} {C|соединять} в себе {P:accs}.",
                "{C} {C|заключать} в себе {P:accs}.",
            ],
            "technical": ["{C} {C|состоять} из {P:gent}.", "Составляющие {C:gent}: {P}."],
            "*": ["Составляющие — {P}."],
        },
        "alias": {
            "*": [
                "{C@accs} {$call} {$also} {S:ablt}.",
                "{C} — это {$also} {S}.",
            ],
        },
        "note": {"*": ["{C} — это {N}."]},
        "kin": {
            "*": [
                "С {O:ablt} {C:accs} роднит {K}.",
                "У {C:gent} и {O:gent} одно общее — {K}.",
            ],
        },
        "tension": {
            "emotional": [
                "Но рядом с {C@ablt} — {O}, и от этого тревожно.",
                "{O} {O|тянуть} в другую сторону, и {C} {C|дрожать}.",
                "И всё же {C@} не {C|быть:past} бы так остро без {O:gent}.",
            ],
            "logical": [
                "Однако {C} не {C|исчерпывать} сцену: есть ещё {O}.",
                "Противовес {C:datv} — {O}.",
                "Но {C} {C~значимый:short} только вместе с {O:ablt}.",
            ],
            "poetic": [
                "А вокруг {C@gent} — {O}, как берега вокруг реки.",
                "{O} {O|обступать} {C:accs} со всех сторон.",
                "{O} {O|ложиться} рядом, как отблески одной лампы.",
            ],
            "philosophical": [
                "Напряжение возникает между {C:ablt} и {O:ablt}.",
                "{C} не {C|существовать} без {O:gent}.",
                "{O} {O|оспаривать} у {C:gent} первенство.",
            ],
            "technical": [
                "Рядом с {C@ablt} {O|работать} {O}.",
                "Вспомогательные элементы — {O}.",
                "Нагрузку с {C@ablt} {O|делить} {O}.",
            ],
            "*": ["Рядом — {O}."],
        },
        "tension_change": {
            "emotional": [
                "Но {A} не {A|мочь} остаться собой: {A@} {A|рваться} дальше.",
                "{A} {A|томиться} и {A|ждать} перемены.",
            ],
            "logical": [
                "Однако {A} — лишь исходное состояние, и из {A@gent} что-то следует.",
                "Важно понять, во что {A|перейти:futr} {A}.",
            ],
            "poetic": [
                "{A} {A|тянуться} куда-то, как стебель к окну.",
                "{A} уже {A|знать}, чем {A|стать:futr}.",
            ],
            "philosophical": [
                "Но {A} {A|нести} в себе собственное противоречие.",
                "{A} не {A|мочь} пребывать в себе вечно.",
            ],
            "technical": [
                "Исходные данные — {A}; дальше идёт преобразование.",
                "{A} {A|подаваться} на обработку.",
            ],
            "*": ["Сначала — {A}."],
        },
        "tension_alone": {
            "*": [
                "Но {C} — не только {C}: {C@} ещё и {S}.",
                "И всё же у {C@gent} есть второе имя — {S}.",
            ],
        },
        "example": {
            "*": [
                "{C~тот} же {C} {C|$sound} и {$elsewhere}: «{X}».",
                "{C} {C|$sound} и в строке «{X}».",
            ],
        },
        "question": {
            "*": [
                "{C} — это то, что стоит за фразой «{X}».",
                "{$answer} «{X}».",
            ],
        },
        "resolution_change": {
            "emotional": [
                "И когда всё стихает, {B|оставаться} {B}.",
                "Разрешается всё {B:ablt}.",
                "И тогда приходит облегчение: {B}.",
            ],
            "logical": ["В итоге получаем {B:accs}.", "Результат: {B}.", "Итог рассуждения — {B}."],
            "poetic": [
                "И в конце, как утро после долгой ночи, — {B}.",
                "И всё это расцветает {B:ablt}.",
                "А потом из этого {B|вырастать} {B}.",
            ],
            "philosophical": [
                "Противоречие снимается в {B:loct}.",
                "Так {B|рождаться} {B}.",
                "Истина этого движения — {B}.",
            ],
            "technical": [
                "На выходе — {B}.",
                "Результат работы — {B}.",
                "Система выдаёт {B:accs}.",
            ],
            "*": ["В конце — {B}."],
        },
        "resolution_whole": {
            "emotional": ["Всё это вместе — {W}.", "И имя всему этому — {W}."],
            "logical": ["Вместе {T} {T|образовывать} {W:accs}.", "Целое здесь — {W}."],
            "poetic": ["Так из многого {W|рождаться} {W}.", "Вместе они и есть {W}."],
            "philosophical": [
                "Вместе {T} {T|давать} {W:accs}.",
                "Целое, которое из них возникает, — {W}.",
            ],
            "technical": ["Сборка целиком — {W}.", "Вместе {T} {T|составлять} {W:accs}."],
            "*": ["Вместе — {W}."],
        },
        "resolution": {
            "emotional": [
                "И всё же {T} {T|уживаться} рядом.",
                "И всё же {T@} {T|уживаться} рядом.",
                "Но в конце концов {T} {T|держаться} друг за друга.",
                "Но в конце концов {T@} {T|держаться} друг за друга.",
            ],
            "logical": [
                "Вместе {T} {T|составлять} одно целое.",
                "Вместе {T@} {T|составлять} одно целое.",
                "Ни один элемент не лишний.",
            ],
            "poetic": [
                "И {T} {T|сливаться} в одну картину.",
                "И {T@} {T|сливаться} в одну картину.",
                "И всё это звучит одной нотой.",
            ],
            "philosophical": [
                "В этом напряжении {T} и {T|обретать} целостность.",
                "В этом напряжении {T@} и {T|обретать} целостность.",
                "Целое здесь больше суммы слагаемых.",
            ],
            "technical": [
                "Вместе {T} {T|работать} как одна система.",
                "Вместе {T@} {T|работать} как одна система.",
                "Система замкнута.",
            ],
            "*": ["Вместе — {T}."],
        },
        "phrase": {
            "*": ["{$whole_line}: «{Q}».", "Сказать это можно и так: «{Q}»."],
        },
        "holder": {
            "*": [
                "{C} {C|входить} в {W:accs}.",
                "Без {C:gent} не было бы {W:gent}.",
                "{C@} {C|принадлежать} большему — {W:datv}.",
            ],
        },
    },
    "poem": {
        "image": {
            "emotional": [
                "{A}, как {B} сквозь {C:accs}",
                "{A} — {B} под {C:ablt}",
                "{A}, и {B}, и {C} — всё сразу",
            ],
            "logical": ["{A}: {B} внутри {C:gent}", "{A}, {B} и {C} — один за другим"],
            "poetic": [
                "{A}, как {B} в {C:loct}",
                "{A} — {B} на краю {C:gent}",
                "{A}, {B} над {C:ablt}",
            ],
            "philosophical": [
                "{A}, как {B} над {C:ablt}",
                "{A} — {B} по ту сторону {C:gent}",
                "{A} в {B:loct}, {B} в {C:loct}",
            ],
            "technical": ["{A} — {B} в контуре {C:gent}", "{A}, затем {B}, затем {C}"],
            "*": ["{A}, {B}, {C}"],
        },
        "pair": {
            "emotional": [
                "short:{A} {B:gent} — до дрожи",
                "{A} и {B} — без края",
                "{A} сквозь {B:accs}",
                "{A}, и снова {B}",
            ],
            "logical": [
                "{A} вслед за {B:ablt}",
                "{A}, а за {A@ablt} — {B}",
                "{A} и {B}, одно к одному",
            ],
            "poetic": [
                "short:{A} {B:gent}",
                "{A} над {B:ablt}",
                "{A} в {B:loct}",
                "{A} у {B:gent}",
            ],
            "philosophical": [
                "short:{A} как эталон {B:gent}",
                "{A} и {B} — одно",
                "{A} по ту сторону {B:gent}",
            ],
            "technical": ["{A} первым, {B} вторым", "{A} и {B} в одной цепи", "{A} через {B:accs}"],
            "*": ["{A} и {B}"],
        },
        "alone": {
            "emotional": [
                "{A|дрожать} {A}",
                "и снова {A}, и снова",
                "{A|ныть} {A}",
                "{A|биться} {A}",
            ],
            "logical": ["{A} — и ничего лишнего", "только {A}, ничего кроме", "{A} как есть"],
            "poetic": [
                "{A|таять} {A}",
                "тихо {A|мерцать} {A}",
                "{A|течь} {A}",
                "{A|светиться} {A}",
            ],
            "philosophical": ["{A|длиться} {A}", "{A} {A|пребывать} в себе", "{A|оставаться} {A}"],
            "technical": ["{A} {A|работать} без сбоя", "{A} на месте", "{A} {A|держать} нагрузку"],
            "*": ["{A}"],
        },
        "echo": {
            "*": ["и снова: {X}", "как сказано: {X}"],
        },
        "holder": {
            "*": ["{A} внутри {W:gent}", "и в {W:loct} — {A}"],
        },
        "turn": {
            "emotional": ["и вдруг — {B}", "и вот уже {B|рваться} {B}", "и прорывается {B}"],
            "logical": ["а из этого — {B}", "отсюда {B}", "и значит — {B}"],
            "poetic": ["и {B|вырастать} {B}", "а после — {B}", "и {B|подниматься} {B}"],
            "philosophical": ["и {B|открываться} {B}", "и в этом — {B}", "и {B|рождаться} {B}"],
            "technical": ["на выходе — {B}", "и далее {B}", "результат — {B}"],
            "*": ["потом — {B}"],
        },
        "close": {
            "emotional": ["и это — {W}", "вот что такое {W}"],
            "logical": ["итог — {W}", "в сумме — {W}"],
            "poetic": ["так {W|звучать} {W}", "и это — {W}"],
            "philosophical": ["так {W|являть} себя {W}", "и в этом — {W}"],
            "technical": ["собрано: {W}", "сборка — {W}"],
            "*": ["{W}"],
        },
    },
}

# --- English ------------------------------------------------------------------------------------

EN: Bank = {
    "narrative": {
        "begin": {
            "emotional": [
                "First, {A} {A|creep} in.",
                "{A} {A|creep} in before anything else.",
                "{A} {A|come} first and {A|tighten} everything.",
                "Suddenly, without warning, {A} {A|rush} in.",
            ],
            "logical": [
                "Everything starts from {A}.",
                "The initial condition is {A}.",
                "One thing is given first: {A}.",
                "Suppose first that there {A|be} {A}.",
            ],
            "poetic": [
                "First {A} {A|surface}, barely visible.",
                "At the very start {A} {A|glimmer}.",
                "{A} {A|come} first, the way a song opens with one note.",
                "Out of the depth {A} {A|appear}.",
            ],
            "philosophical": [
                "At first there {A|be} {A}.",
                "First {A} {A|reveal} {A@self}.",
                "What appears first here is {A}.",
                "Everything takes its start in {A}.",
            ],
            "technical": [
                "The process starts with {A}.",
                "The source data is {A}.",
                "{A} {A|enter} first.",
                "The system first receives {A}.",
            ],
            "*": ["First, {A}."],
        },
        "next": {
            "emotional": [
                "After {P@obj}, {A} {A|rush} in.",
                "Then {A} {A|come}, and there is no escaping {A@obj}.",
                "Next {A} {A|swell}, stronger than {P:the}.",
                "And at once {A} {A|flare} up.",
            ],
            "logical": [
                "Next, {A} {A|be} added to {P:the}.",
                "From {P:the} {A|follow} {A}.",
                "The next element is {A}.",
                "This entails {A}.",
            ],
            "poetic": [
                "After {P@obj}, {A} {A|trail}, like an echo.",
                "Then {A} {A|come}, and {P:the} {P|dissolve} into {A@obj}.",
                "Out of {P:the} {A|unfold} {A}.",
                "Nearby, softly, {A} {A|open}.",
            ],
            "philosophical": [
                "After {P@obj}, {A} {A|appear}.",
                "{P:the} {P|call} for {A}.",
                "{P:the} {P|make} room for {A}.",
                "{P:the} cannot do without {A}.",
            ],
            "technical": [
                "In the next stage, {A} {A|be} added.",
                "Then {A} {A|connect}.",
                "{P:the} {P|pass} a signal on to {A}.",
                "Then {A} {A|join} the work.",
            ],
            "*": ["Then, {A}."],
        },
        "pair": {
            "emotional": [
                "Then {A} {A|flood} in, almost at once.",
                "And now {A} {A|press} close.",
                "Then, before anyone can recover, {A} {A|arrive}.",
            ],
            "logical": [
                "Next {A|come} {A}.",
                "To this, {A} {A|be} joined.",
                "Then {A} {A|be} taken into account.",
            ],
            "poetic": [
                "Then {A} {A|show}, one through the other.",
                "And then {A} {A|come} into view.",
                "Nearby {A} {A|open}.",
            ],
            "philosophical": [
                "Then {A} {A|appear}.",
                "Then {A} {A|enter} into play.",
                "After this, {A} {A|turn} up.",
            ],
            "technical": [
                "Then {A} {A|connect}.",
                "In parallel, {A} {A|arrive}.",
                "Then {A} {A|join} the work.",
            ],
            "*": ["Then, {A}."],
        },
        "last": {
            "emotional": [
                "Last of all {A} {A|arrive}, and everything goes still.",
                "And finally {A} {A|come}, and {A|refuse} to let go.",
                "In the end only {A} {A|remain}.",
                "At the very end {A} {A|flood} in, and everything stops.",
            ],
            "logical": [
                "The series ends with {A}.",
                "The last element is {A}.",
                "And finally {A} {A|close} the chain.",
                "Last in line stands {A}.",
            ],
            "poetic": [
                "And at last {A} {A|surface}.",
                "Last of all {A} {A|come}, and everything goes quiet.",
                "And at the very end {A} {A|stand}.",
                "And at the edge of it all {A} {A|remain}.",
            ],
            "philosophical": [
                "Everything ends in {A}.",
                "And at the end {A} {A|appear}, and that is all.",
                "The final say belongs to {A}.",
                "Everything comes to {A}.",
            ],
            "technical": [
                "In the last stage, {A} {A|be} added.",
                "{A} {A|close} the chain.",
                "The last component is {A}.",
                "{A} {A|complete} the assembly.",
            ],
            "*": ["And finally, {A}."],
        },
        "change": {
            "emotional": [
                "And suddenly {P} {P|turn} into {B}.",
                "But {P@} cannot last either: {P@} {P|melt} into {B}.",
                "But {P} cannot last: {P@} {P|melt} into {B}.",
                "And then out of {P} {B|come} {B}.",
            ],
            "logical": [
                "From {P} {B|follow} {B}.",
                "From {P@obj} {B|follow} {B}.",
                "{P} {P|pass} into {B}.",
                "Hence {B}.",
            ],
            "poetic": [
                "{P} {P|become} {B}.",
                "Then {P@} {P|become} {B}.",
                "And {P} slowly {P|turn} into {B}.",
                "Little by little {P} {P|give} way to {B}.",
            ],
            "philosophical": [
                "{P} {P|find} {P@poss} continuation in {B}.",
                "{P@} {P|find} {P@poss} continuation in {B}.",
                "{P} {P|pass} over into {B}, and that is {P@poss} essence.",
                "Out of {P} {B|arise} {B}.",
            ],
            "technical": [
                "At the output, {P} {P|be} converted into {B}.",
                "At the output, {P@} {P|be} converted into {B}.",
                "{P} {P|yield} {B} as output.",
                "The result is {B}.",
            ],
            "*": ["And then, {B}."],
        },
        "cause": {
            "*": [
                "{A:the} {A|take} {P:the} into {A@self}.",
                "{P:the} {P|continue} in {A:the}.",
                "{P:the} {P|stay} inside {A:the}.",
            ],
        },
        "kin": {
            "*": [
                "{A} {A|come} together with {P:the}: {K:bare} binds them.",
                "{A:the} and {P:the} share one thing: {K:bare}.",
                "In {A:the}, as in {P:the}, there {K|be} {K:a}.",
            ],
        },
        "part": {
            "*": [
                "{A} {A|dwell} inside {P:the}.",
                "{P:the} {P|hold} {A} within.",
                "{A} {A|belong} to {P:the}.",
            ],
        },
        "because": {
            "*": ["{A} {A|arise} {C} there {B|be} {B}.", "{A} {A|come} {C} {B} {B|be} near."],
        },
        "therefore": {
            "*": [
                "There {A|be} {A}; {C}, {B} {B|follow}.",
                "{A} {A|be} already here; {C}, {B} {B|come} too.",
            ],
        },
        "close": {
            "emotional": ["Such is {W}.", "This is {W}.", "That is what {W} is."],
            "logical": [
                "Taken together, this gives {W}.",
                "The sum is {W}.",
                "Together this is {W}.",
            ],
            "poetic": ["So {W} {W|be} born.", "Of this {W} {W|be} made.", "So {W} {W|take} shape."],
            "philosophical": [
                "In this {W|lie} {W}.",
                "So {W} {W|reveal} {W@self}.",
                "So {W} {W|find} {W@self}.",
            ],
            "technical": [
                "The output is {W}.",
                "The assembled result is {W}.",
                "The assembled whole is {W}.",
            ],
            "*": ["Together this is {W}."],
        },
        "alias": {
            "*": ["{A@} can also be called {S}.", "Another name for {A@obj} is {S}."],
        },
        "linger": {
            "emotional": ["And {A@} {A|refuse} to let go.", "{A@} {A|hold} on, long and hard."],
            "logical": ["{A@} {A|remain} unchanged.", "Nothing else is required."],
            "poetic": ["{A@} {A|linger} on.", "And {A@} {A|stay} for a long while."],
            "philosophical": ["{A@} {A|rest} in {A@self}.", "{A@} {A|remain} {A@self}."],
            "technical": ["{A@} {A|run} without faults.", "The state is stable."],
            "*": ["{A@} {A|remain}."],
        },
    },
    "essay": {
        "thesis": {
            "emotional": [
                "What sounds loudest in this scene is {C}.",
                "Everything here hangs on {C:the}.",
                "At the core of this scene, loudest of all, is {C}.",
                "What hurts and shines most here is {C}.",
            ],
            "logical": [
                "The main element of the scene is {C}.",
                "Consider {C:the} first: the whole scene rests on {C@obj}.",
                "The central notion here is {C}.",
                "Everything in this scene is determined by {C:the}.",
            ],
            "poetic": [
                "In the depth of this scene {C|lie} {C}.",
                "The scene gathers around {C:the} like rings around a thrown stone.",
                "Everything here shines with the borrowed glow of {C:the}.",
                "This scene is painted with {C:the}, the way a picture is painted in one colour.",
            ],
            "philosophical": [
                "The focal point of this scene is {C}.",
                "Everything in this scene is drawn toward {C:the}.",
                "The essence of this scene is {C}.",
                "To understand this scene is to understand {C:the}.",
            ],
            "technical": [
                "The core of the scene is {C}.",
                "The scene is built around {C:the}.",
                "The base element is {C}.",
                "The main load here rests on {C:the}.",
            ],
        },
        "parts": {
            "emotional": ["{P} {P|be} mixed in {C:the}.", "{C:the} {C|hold} {P} together."],
            "logical": ["{C:the} {C|consist} of {P}.", "{C:the} {C|include} {P}."],
            "poetic": ["In {C:the}, {P} {P|meet}.", "{C:the} {C|weave} together {P}."],
            "philosophical": ["{C:the} {C|unite} {P}.", "{C:the} {C|contain} {P} within {C@self}."],
            "technical": ["{C:the} {C|be} made of {P}.", "The components of {C:the}: {P:bare}."],
            "*": ["Its components are {P}."],
        },
        "alias": {"*": ["{C@} {C|be} also {$called} {S}.", "{C:the} {C|be} {$also} {S}."]},
        "note": {"*": ["{C:the} {C|be} {N}."]},
        "kin": {
            "*": [
                "{K:bare} binds {C:the} to {O:the}.",
                "{C:the} and {O:the} have one thing in common: {K:bare}.",
            ],
        },
        "tension": {
            "emotional": [
                "But beside {C@obj} {O|stand} {O}, and that is unsettling.",
                "{O} {O|pull} the other way, and {C:the} {C|tremble}.",
                "And yet {C:the} would not be so sharp without {O}.",
            ],
            "logical": [
                "Yet {C:the} {C|do} not exhaust the scene: there {O|be} also {O}.",
                "The counterweight to {C:the} is {O}.",
                "But {C:the} {C|count} only together with {O}.",
            ],
            "poetic": [
                "Around {C@obj} {O|lie} {O}, like banks around a river.",
                "{O} {O|crowd} around {C:the} on every side.",
                "{O} {O|settle} beside {C@obj}, like glints of one lamp.",
            ],
            "philosophical": [
                "A tension arises between {C:the} and {O:the}.",
                "{C:the} {C|do} not exist without {O:the}.",
                "{O} {O|dispute} the first place with {C:the}.",
            ],
            "technical": [
                "Next to {C@obj}, {O} {O|run}.",
                "The auxiliary elements are {O}.",
                "{O} {O|share} the load with {C:the}.",
            ],
            "*": ["Beside {C@obj}: {O}."],
        },
        "tension_change": {
            "emotional": [
                "But {A} cannot stay as {A@} {A|be}: {A@} {A|strain} onward.",
                "{A} {A|ache} and {A|long} for a change.",
            ],
            "logical": [
                "Yet {A} {A|be} only the initial state, and something follows from {A@obj}.",
                "The point is what {A} {A|turn} into.",
            ],
            "poetic": [
                "{A} {A|lean} somewhere, like a stem toward a window.",
                "{A} already {A|know} what {A@} {A|be} to become.",
            ],
            "philosophical": [
                "But {A} {A|carry} {A@poss} own contradiction within.",
                "{A} cannot stay still forever.",
            ],
            "technical": [
                "The source data is {A}; a conversion follows.",
                "{A} {A|be} fed in for processing.",
            ],
            "*": ["First, {A}."],
        },
        "tension_alone": {
            "*": [
                "But {C:bare} {C|be} not only {C:bare}: {C@} {C|be} also {S}.",
                "And yet {C:the} {C|have} a second name: {S}.",
            ],
        },
        "example": {
            "*": [
                "The same {C:bare} {C|$sound} {$elsewhere}: “{X}”.",
                "{C:the} {C|$sound} in the line “{X}” as well.",
            ],
        },
        "question": {
            "*": [
                "{C:the} {C|be} what stands behind the line “{X}”.",
                "{$answer} “{X}”.",
            ],
        },
        "resolution_change": {
            "emotional": [
                "And when everything quiets down, {B} {B|remain}.",
                "It all resolves into {B}.",
                "And then relief comes: {B}.",
            ],
            "logical": [
                "The outcome is {B}.",
                "In the end we obtain {B}.",
                "The reasoning ends in {B}.",
            ],
            "poetic": [
                "And at the end, like a morning after a long night, {B|come} {B}.",
                "And all of it blossoms into {B}.",
                "And out of this {B|grow} {B}.",
            ],
            "philosophical": [
                "The contradiction is resolved in {B}.",
                "So {B} {B|be} born.",
                "The truth of this movement is {B}.",
            ],
            "technical": [
                "The output is {B}.",
                "The result of the work is {B}.",
                "The system outputs {B}.",
            ],
            "*": ["At the end: {B}."],
        },
        "resolution_whole": {
            "emotional": [
                "All of this together is {W}.",
                "And the name for all of it is {W:bare}.",
            ],
            "logical": ["Together they form {W}.", "The whole here is {W}."],
            "poetic": ["So out of many things {W} {W|be} born.", "Together they are {W}."],
            "philosophical": ["Together they give {W}.", "The whole that arises from them is {W}."],
            "technical": ["The assembly as a whole is {W}.", "Together they make up {W}."],
            "*": ["Together: {W}."],
        },
        "resolution": {
            "emotional": [
                "And still {T} {T|live} side by side.",
                "And still {T@} {T|live} side by side.",
                "But in the end {T} {T|hold} on to one another.",
                "But in the end {T@} {T|hold} on to one another.",
            ],
            "logical": [
                "Together {T} {T|form} one whole.",
                "Together {T@} {T|form} one whole.",
                "No element is superfluous.",
            ],
            "poetic": [
                "And {T} {T|blend} into one picture.",
                "And {T@} {T|blend} into one picture.",
                "And all of it sounds like one note.",
            ],
            "philosophical": [
                "In this tension {T} {T|find} wholeness.",
                "In this tension {T@} {T|find} wholeness.",
                "The whole here is more than the sum of what it holds.",
            ],
            "technical": [
                "Together {T} {T|work} as one system.",
                "Together {T@} {T|work} as one system.",
                "The system is closed.",
            ],
            "*": ["Together: {T}."],
        },
        "phrase": {
            "*": ["{$whole_line}: “{Q}”.", "It can also be said this way: “{Q}”."],
        },
        "holder": {
            "*": [
                "{C:the} {C|belong} to {W}.",
                "Without {C:the} there would be no {W:bare}.",
                "{C@} {C|belong} to something larger: {W}.",
            ],
        },
    },
    "poem": {
        "image": {
            "emotional": [
                "{A}, like {B} through {C:the}",
                "{A}, {B} under {C:the}",
                "{A} and {B} and {C}, all at once",
            ],
            "logical": ["{A}: {B} inside {C:the}", "{A}, {B} and {C}, one after another"],
            "poetic": [
                "{A}, like {B} in {C:the}",
                "{A}, {B} at the edge of {C:the}",
                "{A}, {B} above {C:the}",
            ],
            "philosophical": [
                "{A}, like {B} above {C:the}",
                "{A}, {B} beyond {C:the}",
                "{A} in {B}, {B:the} in {C}",
            ],
            "technical": ["{A}, {B} in the loop of {C:the}", "{A}, then {B}, then {C}"],
            "*": ["{A}, {B}, {C}"],
        },
        "pair": {
            "emotional": [
                "short:{A:the} of {B:the}, trembling",
                "{A} and {B}, without end",
                "{A} through {B}",
                "{A}, and {B} again",
            ],
            "logical": ["{A} after {B}", "{A}, and after {A@obj}, {B}", "{A} and {B}, one by one"],
            "poetic": ["short:{A:the} of {B:the}", "{A} above {B}", "{A} in {B}", "{A} by {B}"],
            "philosophical": [
                "short:{A} as the gauge of {B:the}",
                "{A} and {B} are one",
                "{A} beyond {B}",
            ],
            "technical": ["{A} first, {B} second", "{A} and {B} in one circuit", "{A} through {B}"],
            "*": ["{A} and {B}"],
        },
        "alone": {
            "emotional": [
                "{A} {A|tremble}",
                "{A} again, and again",
                "{A} {A|ache}",
                "{A} {A|pulse}",
            ],
            "logical": ["{A} and nothing more", "only {A}, nothing else", "{A} as it is"],
            "poetic": ["{A} {A|melt}", "softly {A} {A|flicker}", "{A} {A|flow}", "{A} {A|glow}"],
            "philosophical": ["{A} {A|endure}", "{A} {A|rest} in {A@self}", "{A} {A|remain}"],
            "technical": ["{A} {A|run} without a fault", "{A} in place", "{A} {A|carry} the load"],
            "*": ["{A}"],
        },
        "echo": {
            "*": ["and again: {X}", "as it is said: {X}"],
        },
        "holder": {
            "*": ["{A} inside {W:the}", "and in {W:the}, {A}"],
        },
        "turn": {
            "emotional": [
                "and suddenly, {B}",
                "and now {B} {B|break} through",
                "and {B} {B|spill} out",
            ],
            "logical": ["and out of this, {B}", "hence {B}", "and so, {B}"],
            "poetic": ["and {B} {B|grow}", "and after, {B}", "and {B} {B|rise}"],
            "philosophical": ["and {B} {B|open}", "and in this, {B}", "and {B} {B|be} born"],
            "technical": ["at the output, {B}", "and next, {B}", "the result: {B}"],
            "*": ["then {B}"],
        },
        "close": {
            "emotional": ["and this is {W}", "and all of it is {W}"],
            "logical": ["the sum: {W:bare}", "in total, {W}"],
            "poetic": ["so sounds {W}", "and this is {W}"],
            "philosophical": ["so {W} {W|reveal} {W@self}", "and in this, {W}"],
            "technical": ["assembled: {W:bare}", "the assembly: {W:bare}"],
            "*": ["{W}"],
        },
    },
}

for _bank in (RU, EN):  # a cause is told the same way in an essay as in a story
    _bank["essay"]["because"] = _bank["narrative"]["because"]
    _bank["essay"]["therefore"] = _bank["narrative"]["therefore"]

BANKS: dict[str, Bank] = {"ru": RU, "en": EN}

# Register vocabulary for ``{$name}``: kept for constructions that share a frame and differ in
# one word by register.
VOCABULARY: dict[str, dict[str, dict[str, list[str]]]] = {
    "ru": {
        "emotional": {
            "call": ["зовут"],
            "also": ["ещё и"],
            "sound": ["отзываться"],
            "elsewhere": ["в другой сцене"],
            "answer": ["Так откликаются на фразу"],
            "whole_line": ["Всё это можно выдохнуть одной строкой"],
        },
        "logical": {
            "call": ["обозначают"],
            "also": ["также"],
            "sound": ["встречаться"],
            "elsewhere": ["в другом контексте"],
            "answer": ["Это ответ на"],
            "whole_line": ["Формулировка целиком"],
        },
        "poetic": {
            "call": ["называют"],
            "also": ["и"],
            "sound": ["звучать"],
            "elsewhere": ["в другой картине"],
            "answer": ["Так отзывается строка"],
            "whole_line": ["Целое умещается в одну строку"],
        },
        "philosophical": {
            "call": ["именуют"],
            "also": ["также и"],
            "sound": ["являться"],
            "elsewhere": ["в ином облике"],
            "answer": ["Так отвечают на"],
            "whole_line": ["Целое высказывается так"],
        },
        "technical": {
            "call": ["обозначают"],
            "also": ["также"],
            "sound": ["использоваться"],
            "elsewhere": ["в другой конфигурации"],
            "answer": ["Это решение задачи"],
            "whole_line": ["Описание целиком"],
        },
    },
    "en": {
        "emotional": {
            "called": ["known as"],
            "also": ["also"],
            "sound": ["echo"],
            "elsewhere": ["in another scene"],
            "answer": ["This is the answer, felt more than said, to"],
            "whole_line": ["All of it can be breathed out in one line"],
        },
        "logical": {
            "called": ["denoted as"],
            "also": ["equally"],
            "sound": ["occur"],
            "elsewhere": ["in another context"],
            "answer": ["This answers"],
            "whole_line": ["The full statement"],
        },
        "poetic": {
            "called": ["called"],
            "also": ["also"],
            "sound": ["sound"],
            "elsewhere": ["in another picture"],
            "answer": ["So the line answers"],
            "whole_line": ["The whole fits into one line"],
        },
        "philosophical": {
            "called": ["spoken of as"],
            "also": ["no less"],
            "sound": ["appear"],
            "elsewhere": ["in another guise"],
            "answer": ["This is how one answers"],
            "whole_line": ["The whole says itself so"],
        },
        "technical": {
            "called": ["labelled"],
            "also": ["equivalently"],
            "sound": ["be used"],
            "elsewhere": ["in another configuration"],
            "answer": ["This is the solution to"],
            "whole_line": ["The full description"],
        },
    },
}


def constructions(lang: str, style: str, role: str, register: str) -> tuple[list[str], list[str]]:
    """The register's own constructions for a role, and the shared ones behind them."""
    table = BANKS[lang].get(style, {}).get(role, {})
    return list(table.get(register, [])), list(table.get("*", []))


def vocabulary(lang: str, register: str, name: str) -> list[str]:
    words = VOCABULARY.get(lang, {}).get(register, {}).get(name)
    if not words:
        raise KeyError(f"no vocabulary {name!r} for {lang}/{register}")
    return words


def all_templates() -> list[tuple[str, str, str, str, str]]:
    """(lang, style, role, register, template) for every construction: what the tests check
    against the seed lexicon and parse for well-formedness."""
    out = []
    for lang, bank in BANKS.items():
        for style, roles in bank.items():
            for role, table in roles.items():
                for register, templates in table.items():
                    out.extend((lang, style, role, register, t) for t in templates)
    return out
