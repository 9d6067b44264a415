"""The demo shop's fixed facts: identity, hours, catalog, and the word lists people are generated from."""

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

SHOP = {
    "name": "Lakeside Auto Service",
    "phone_number": "+13125550100",
    "timezone": "America/Chicago",
    "phone_region": "US",
    "slot_minutes": 30,
    "min_notice_minutes": 120,
    "horizon_days": 60,
    "per_slot_capacity": 3,
    "waiter_capacity": 2,
    "daily_capacity": 24,
    "technician_minutes_per_day": 4 * 8 * 60,
    "reminder_window_start": time(9, 0),
    "reminder_window_end": time(20, 0),
    # Urgent callbacks and safety calls alert the demo owner (dealership.core.alerts), by email.
    "alert_channel": "email",
    "alert_emails": "owner@lakeside-auto.example",
}

# (weekday 0 = Monday, opens, closes); Sunday has no row, so it is closed.
HOURS = [
    *((weekday, time(7, 30), time(18, 0)) for weekday in range(5)),
    (5, time(8, 0), time(13, 0)),
]

# The shop's answers to what callers ask besides booking (topic, answer), in the order advisors keep
# them. Prices here agree with the catalog below (the diagnostic is $149).
SHOP_ANSWERS = [
    (
        "Loaner cars and shuttle",
        "We don't have loaner cars. Our free shuttle takes customers who drop off within 5 miles of the "
        "shop, weekdays 8 AM to 4 PM; ask for it when you drop off. Enterprise across the street gives "
        "our customers a discounted rate.",
    ),
    (
        "Payment methods",
        "We take Visa, Mastercard, American Express, Discover, debit cards, Apple Pay, Google Pay and "
        "cash. No personal checks. Payment is due when you pick up the car. Financing through Synchrony "
        "is available for repairs over $500.",
    ),
    (
        "Warranty and recall work",
        "We're an independent shop, so factory warranty and safety recall repairs are done at a "
        "dealership, free of charge; we can check your VIN for open recalls. Our own repairs carry a "
        "24-month, 24,000-mile parts and labor warranty.",
    ),
    (
        "Towing",
        "We don't run our own tow truck. We work with Northside Towing at (312) 555-0188, who bring cars "
        "to us around the clock, or use your roadside assistance and ask them to tow to Lakeside Auto "
        "Service. A car towed in after hours is looked at the next business morning.",
    ),
    (
        "Directions and parking",
        "We're at 2150 North Clybourn Avenue in Chicago, between Webster and Fullerton, on the east side "
        "of the street. Customer parking is in our own lot off the alley behind the shop; the first "
        "three spaces by the office are for drop-offs.",
    ),
    (
        "After-hours key drop",
        "You can drop off any time: park in the lot, fill in an envelope from the box by the office "
        "door with your name, phone number and what the car needs, put your key inside and drop it "
        "through the slot. We call you the next business morning.",
    ),
    (
        "Diagnostic fee policy",
        "A diagnostic is $149 and covers up to an hour of testing. If you have us do the repair we "
        "found, the $149 is credited toward it. We always call with an estimate before doing any repair.",
    ),
    (
        "Brands serviced",
        "We service most cars, SUVs and light trucks: American, Japanese and Korean brands, plus "
        "Volkswagen, BMW, Mercedes-Benz, Audi, Volvo and Mini. We don't work on diesels, commercial "
        "vehicles, motorcycles or the high-voltage systems of hybrids and electric cars.",
    ),
    (
        "Waiting at the shop",
        "Our waiting room has free Wi-Fi, coffee and a desk with outlets. Oil changes, tire rotations, "
        "inspections and battery replacements can usually be done while you wait; book as a waiter.",
    ),
    (
        "Bringing your own parts",
        "We don't install parts customers bring in, because we can't warranty them. We use OEM or "
        "equivalent quality parts and will tell you which before the work.",
    ),
]


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    duration_minutes: int
    price: Decimal
    synonyms: str
    waiter_eligible: bool = True
    price_is_from: bool = False
    daily_limit: int | None = None
    # How often it is booked relative to the others (demo appointments and history).
    weight: int = 1
    history_note: str = ""


SERVICES = [
    ServiceSpec(
        "oil_change",
        "oil change",
        30,
        Decimal("59.99"),
        "oil,lube,oil and filter,oil service,synthetic oil change",
        weight=10,
        history_note="Full synthetic 0W-20, new filter. Next due in 5,000 miles.",
    ),
    ServiceSpec(
        "tire_rotation",
        "tire rotation",
        30,
        Decimal("29.99"),
        "rotation,rotate tires,tire rotate",
        weight=5,
        history_note="Rotated front to back; pressures set to 35 psi.",
    ),
    ServiceSpec(
        "brake_inspection",
        "brake inspection",
        45,
        Decimal("49.00"),
        "brakes,brake check,squeaky brakes,brake noise,grinding brakes",
        weight=4,
        history_note="Front pads at 5 mm, rears at 7 mm. Recheck at next service.",
    ),
    ServiceSpec(
        "state_inspection",
        "state inspection",
        30,
        Decimal("25.00"),
        "inspection,safety inspection,emissions,emissions test",
        weight=2,
        history_note="Passed.",
    ),
    ServiceSpec(
        "battery_replacement",
        "battery replacement",
        45,
        Decimal("189.00"),
        "battery,new battery,dead battery,battery swap",
        price_is_from=True,
        weight=2,
        history_note="Installed group 48 AGM battery, 36-month warranty.",
    ),
    ServiceSpec(
        "diagnostic",
        "diagnostic",
        90,
        Decimal("149.00"),
        "diagnosis,diagnostics,check engine light,warning light,strange noise,engine light",
        waiter_eligible=False,
        price_is_from=True,
        daily_limit=2,
        weight=2,
        history_note="Check engine light: P0420 catalyst efficiency. Customer declined repair for now.",
    ),
    ServiceSpec(
        "wheel_alignment",
        "wheel alignment",
        60,
        Decimal("119.99"),
        "alignment,four wheel alignment,car pulls,pulling to one side",
        weight=2,
        history_note="Four-wheel alignment; toe adjusted front, steering wheel centered.",
    ),
    ServiceSpec(
        "ac_service",
        "A/C service",
        60,
        Decimal("129.00"),
        "ac,a/c,air conditioning,ac recharge,ac not cold,air conditioner",
        waiter_eligible=False,
        price_is_from=True,
        weight=1,
        history_note="Evacuated and recharged R-1234yf; vents at 41°F.",
    ),
]

FIRST_NAMES = [
    "James", "Maria", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth",
    "Carlos", "Barbara", "Joseph", "Susan", "Thomas", "Jessica", "Daniel", "Sarah", "Matthew", "Karen",
    "Anthony", "Nancy", "Mark", "Lisa", "Kevin", "Angela", "Brian", "Ashley", "Andre", "Kimberly",
    "Luis", "Emily", "Tyrone", "Donna", "Jason", "Michelle", "Ryan", "Dorothy", "Jacob", "Carol",
    "Nathan", "Amanda", "Samuel", "Melissa", "Marcus", "Deborah", "Priya", "Stephanie", "Omar", "Rebecca",
]  # fmt: skip

LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Kowalski",
]  # fmt: skip

# (area code, city, zip codes): the shop's neighbourhood and the western suburbs.
PLACES = [
    ("312", "Chicago", ("60601", "60605", "60607", "60610", "60611", "60654")),
    ("773", "Chicago", ("60614", "60618", "60625", "60640", "60647", "60657")),
    ("630", "Naperville", ("60540", "60563", "60565")),
    ("630", "Wheaton", ("60187", "60189")),
    ("630", "Downers Grove", ("60515", "60516")),
]

STREETS = [
    "N Clark St", "W Belmont Ave", "N Sheridan Rd", "W Fullerton Ave", "N Damen Ave", "W Addison St",
    "N Lincoln Ave", "S Michigan Ave", "W Diversey Pkwy", "N Broadway", "Maple Ave", "Oak St",
    "Washington St", "Main St", "Chicago Ave", "Naper Blvd",
]  # fmt: skip

# (make, model, WMI, trims, oldest year, newest year) — WMIs of the plants that build them for the US.
MODELS = [
    ("Honda", "Civic", "2HG", ("LX", "EX", "Sport"), 2014, 2024),
    ("Honda", "CR-V", "5J6", ("LX", "EX-L"), 2015, 2024),
    ("Honda", "Accord", "1HG", ("LX", "EX"), 2013, 2023),
    ("Toyota", "Camry", "4T1", ("LE", "SE", "XLE"), 2013, 2024),
    ("Toyota", "RAV4", "2T3", ("LE", "XLE"), 2015, 2024),
    ("Toyota", "Corolla", "5YF", ("L", "LE"), 2014, 2023),
    ("Toyota", "Tacoma", "3TM", ("SR5", "TRD Sport"), 2016, 2023),
    ("Ford", "F-150", "1FT", ("XL", "XLT", "Lariat"), 2014, 2024),
    ("Ford", "Escape", "1FM", ("SE", "Titanium"), 2014, 2022),
    ("Ford", "Explorer", "1FM", ("XLT", "Limited"), 2016, 2023),
    ("Chevrolet", "Silverado 1500", "1GC", ("LT", "RST"), 2014, 2024),
    ("Chevrolet", "Equinox", "2GN", ("LS", "LT"), 2013, 2023),
    ("Chevrolet", "Malibu", "1G1", ("LS", "LT"), 2013, 2022),
    ("Nissan", "Altima", "1N4", ("S", "SV", "SR"), 2013, 2023),
    ("Nissan", "Rogue", "5N1", ("S", "SV"), 2014, 2023),
    ("Jeep", "Grand Cherokee", "1C4", ("Laredo", "Limited"), 2014, 2023),
    ("Hyundai", "Elantra", "5NP", ("SE", "SEL"), 2015, 2024),
    ("Kia", "Sorento", "5XY", ("LX", "EX"), 2016, 2023),
    ("Subaru", "Outback", "4S4", ("Premium", "Limited"), 2014, 2024),
    ("Subaru", "Forester", "JF2", ("Base", "Premium"), 2015, 2023),
    ("Mazda", "CX-5", "JM3", ("Sport", "Touring"), 2016, 2024),
    ("Ram", "1500", "1C6", ("Tradesman", "Big Horn"), 2015, 2023),
    ("GMC", "Sierra 1500", "3GT", ("SLE", "AT4"), 2015, 2023),
    ("Volkswagen", "Jetta", "3VW", ("S", "SE"), 2014, 2023),
    ("Buick", "Enclave", "5GA", ("Essence",), 2016, 2023),
]

# A grey-market European car: its VIN has no North American check digit, so it is stored flagged.
EUROPEAN_VEHICLE = {
    "vin": "WVWZZZ1KZ8W123456",
    "year": 2008,
    "make": "Volkswagen",
    "model": "Golf",
    "trim": "GTI",
    "nickname": "the Golf from Germany",
}

APPOINTMENT_NOTES = [
    "",
    "",
    "",
    "Customer asked for a quote on wiper blades too.",
    "Please call before any extra work.",
    "Picking up after work, around 5:30.",
    "Low tire pressure light keeps coming on.",
]
