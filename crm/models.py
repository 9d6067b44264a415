from django.db import models
from django.db.models.functions import Upper

from dealership.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    name = models.CharField(max_length=200)
    phone = models.CharField(
        max_length=20,
        db_index=True,
        help_text="As you would dial it, e.g. (312) 555-0123 or +1 312 555 0123 (other countries with + "
        "and the country code).",
    )
    alt_phone = models.CharField(max_length=20, blank=True, db_index=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    preferred_language = models.CharField(max_length=10, default="en")
    sms_opted_out_at = models.DateTimeField("texts opted out at", null=True, blank=True)
    calls_opted_out_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # Set by the phone agent when it adds a customer whose record an advisor should look at (a second
    # person on a number that already had a customer, or a number that was not the one calling).
    review_note = models.CharField(
        "needs review",
        max_length=300,
        blank=True,
        help_text="Why the phone agent asked an advisor to check this record; clear it once checked.",
    )
    secondary_on_phone = models.BooleanField(
        "added to a shared number",
        default=False,
        help_text="Added on a call for a number that already had a customer: caller ID never picks "
        "this customer over the ones before.",
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Upper("name"), name="crm_customer_name_upper")]
        permissions = [
            ("import_customers", "Can import customers, vehicles and service history"),
            ("lift_verification_pause", "Can lift a pause on a customer's identity checks"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sms_allowed(self) -> bool:
        return self.sms_opted_out_at is None

    @property
    def calls_allowed(self) -> bool:
        return self.calls_opted_out_at is None


class Vehicle(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles")
    vin = models.CharField("VIN", max_length=17, blank=True, db_index=True)
    vin_flagged = models.BooleanField(
        default=False,
        help_text="Set when the VIN's check digit does not verify (normal for many non-North-American VINs).",
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    make = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    trim = models.CharField(max_length=50, blank=True)
    plate = models.CharField(max_length=15, blank=True, db_index=True)
    plate_state = models.CharField(max_length=2, blank=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)
    nickname = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["customer", "-year"]

    def __str__(self) -> str:
        label = " ".join(str(p) for p in (self.year, self.make, self.model) if p)
        return label or self.vin or f"Vehicle {self.pk}"


class ServiceRecord(TimeStampedModel):
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="service_records")
    date = models.DateField()
    service_type = models.ForeignKey(
        "scheduling.ServiceType", on_delete=models.SET_NULL, null=True, blank=True
    )
    description = models.CharField(max_length=200, blank=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.service_name}"

    @property
    def service_name(self) -> str:
        return self.service_type.name if self.service_type else self.description
